/**
 * A bot process does not load the SSH stack, and no process loads Bull Board
 * unless it is configured (`start-intervene.ts` loadOnDemand): a module that
 * would be loaded anyway fails the require below. Issue 13: the bot's peak
 * RSS, where requiring them cost about 13 MB and more.
 */
describe("what the composition root loads up front", () => {
  it("neither the SSH client nor Bull Board", () => {
    jest.isolateModules(() => {
      for (const name of ["node-ssh", "ssh2", "@bull-board/api", "@bull-board/express"]) {
        jest.doMock(name, () => {
          throw new Error(`${name} was loaded up front`);
        });
      }
      expect(() => void jest.requireActual("../../../src/runtime/run-main")).not.toThrow();
    });
  });
});
