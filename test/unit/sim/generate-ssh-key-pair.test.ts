import { utils, type ParsedKey } from "ssh2";
import { generateSshKeyPair } from "../../../sim/ssh/generate-ssh-key-pair";

describe("generateSshKeyPair", () => {
  it("returns 5,000 key pairs whose private and public halves ssh2 parses, and that match", () => {
    const failures: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const { privateKey, publicKey } = generateSshKeyPair(`k${i}`);
      const priv = utils.parseKey(privateKey);
      const pub = utils.parseKey(publicKey);
      if (priv instanceof Error || pub instanceof Error) {
        failures.push(`${i}: ${priv instanceof Error ? priv.message : ""} ${pub instanceof Error ? pub.message : ""}`);
        continue;
      }
      const privKey: ParsedKey | undefined = Array.isArray(priv) ? (priv as ParsedKey[])[0] : priv;
      const pubKey: ParsedKey | undefined = Array.isArray(pub) ? (pub as ParsedKey[])[0] : pub;
      // The private key's public half is the public key we were given.
      if (!privKey!.getPublicSSH().equals(pubKey!.getPublicSSH())) failures.push(`${i}: halves differ`);
      seen.add(publicKey);
    }
    expect(failures).toEqual([]);
    expect(seen.size).toBe(5000);
  });

  it("writes the public key as 'ssh-ed25519 <base64>' with no comment", () => {
    expect(generateSshKeyPair("a comment").publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
  });
});
