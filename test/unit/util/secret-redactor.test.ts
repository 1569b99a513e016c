import { compileSecretPatterns, DEFAULT_SECRET_PATTERNS, redactSecrets, SecretRedactor } from "../../../src/util/secret-redactor";

const patterns = compileSecretPatterns(DEFAULT_SECRET_PATTERNS);
const SLACK_TOKEN = ["xoxb", "123456789012", "abcdefABCDEF123456"].join("-");
const AWS_KEY = ["AKIA", "IOSFODNN7EXAMPLE"].join("");

describe("secret redaction of step output (issue 12 point 8)", () => {
  it("redacts each default kind and keeps what names it", () => {
    const text = [
      "password=hunter2",
      "DB PASSWORD: s3cr3t!",
      "Authorization: Bearer abc.def.ghi",
      `token ${SLACK_TOKEN} in a line`,
      `aws ${AWS_KEY} and aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY`,
      "-----BEGIN OPENSSH PRIVATE KEY-----",
      "b3BlbnNzaC1rZXktdjEAAAAA",
      "-----END OPENSSH PRIVATE KEY-----",
      "ring hash 3a2e7b8c stays",
      "",
    ].join("\n");
    expect(redactSecrets(text, patterns)).toBe(
      [
        "password=[redacted]",
        "DB PASSWORD: [redacted]",
        "Authorization: [redacted]",
        "token [redacted] in a line",
        "aws [redacted] and aws_secret_access_key = [redacted]",
        "[redacted] (private key)",
        "ring hash 3a2e7b8c stays",
        "",
      ].join("\n"),
    );
  });

  it("catches a secret cut in two by chunks, and holds back only the unfinished line", () => {
    const r = new SecretRedactor(patterns);
    expect(r.push("ok line\npass")).toBe("ok line\n");
    expect(r.push("word=hun")).toBe("");
    expect(r.push("ter2\nnext")).toBe("password=[redacted]\n");
    expect(r.end()).toBe("next");
  });

  it("shows nothing of a key block whose end never comes", () => {
    const r = new SecretRedactor(patterns);
    expect(r.push("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n")).toBe("[redacted] (private key)\n");
    expect(r.push("more key\n")).toBe("");
    expect(r.end()).toBe("");
  });

  it("refuses a configured pattern that is not a regular expression, naming it", () => {
    expect(() => compileSecretPatterns(["(unclosed"])).toThrow(/secret pattern "\(unclosed" is not a valid regular expression/);
  });
});
