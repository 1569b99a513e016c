/**
 * The chat parameters of each procedure: how the parser validates them and how
 * the modal asks for them when they are missing. The procedures' zod schemas
 * re-validate everything; these patterns only turn typos into clear messages early.
 */
export interface ParamField {
  /** Key in `params`. */
  readonly name: string;
  /** How the operator writes it on the command line (`new-host=`, or `<node>` for a positional). */
  readonly syntax: string;
  readonly label: string;
  readonly placeholder: string;
  /** When set, the only allowed values (the modal shows a select). */
  readonly options?: readonly string[];
  /** A message saying what is wrong, or undefined when the value is fine. */
  readonly validate: (value: string) => string | undefined;
}

const NODE = /^[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9_.:-]{1,253}$/;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const VERSION = /^\d{1,4}\.\d{1,4}\.\d{1,4}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;
const SETUP = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function matching(pattern: RegExp, what: string): (value: string) => string | undefined {
  return (value) => (pattern.test(value) ? undefined : `\`${value}\` is not ${what}`);
}

function oneOf(options: readonly string[]): (value: string) => string | undefined {
  return (value) => (options.includes(value) ? undefined : `\`${value}\` is not one of ${options.map((o) => `\`${o}\``).join(", ")}`);
}

export const MANAGER_TARGETS = ["manager-slave", "manager-master"] as const;
export const STORAGE_OPERATIONS = ["attach", "detach", "suspend", "resume"] as const;
export const LAUNCH_FORCE = ["master", "slave"] as const;

export const validateNode = matching(NODE, "a LeoFS node name like `storage_0@10.0.0.104`");

export const FIELDS = {
  managerTarget: {
    name: "target",
    syntax: "manager-slave|manager-master",
    label: "Which manager",
    placeholder: "manager-slave",
    options: MANAGER_TARGETS,
    validate: oneOf(MANAGER_TARGETS),
  },
  takeoverReplace: {
    name: "replace",
    syntax: "manager-master|manager-slave",
    label: "Which manager to replace",
    placeholder: "manager-master",
    options: MANAGER_TARGETS,
    validate: oneOf(MANAGER_TARGETS),
  },
  newHost: {
    name: "newHost",
    syntax: "new-host=<host>",
    label: "New host (inventory name or address)",
    placeholder: "leofs-m2",
    validate: (v) => (v.length <= 253 && HOST.test(v) ? undefined : `\`${v}\` is not a host name or address`),
  },
  newNode: {
    name: "newNode",
    syntax: "new-node=<name@host>",
    label: "New Erlang node name",
    placeholder: "manager_1@10.0.0.107",
    validate: matching(NODE, "a node name like `manager_1@10.0.0.107`"),
  },
  launchForce: {
    name: "forceStart",
    syntax: "force=master|slave",
    label: "Force start as",
    placeholder: "master",
    options: LAUNCH_FORCE,
    validate: oneOf(LAUNCH_FORCE),
  },
  storageNode: {
    name: "node",
    syntax: "<node>",
    label: "Storage node",
    placeholder: "storage_0@10.0.0.104",
    validate: validateNode,
  },
  upgradeTarget: {
    name: "target",
    syntax: "<node|all>",
    label: "Node to upgrade, or all",
    placeholder: "all",
    validate: (v) => (v === "all" ? undefined : validateNode(v)),
  },
  version: {
    name: "version",
    syntax: "<version>",
    label: "Target LeoFS version",
    placeholder: "1.4.3",
    validate: matching(VERSION, "a version like `1.4.3`"),
  },
  packageFile: {
    name: "package",
    syntax: "package=<file>",
    label: "Package file name (in the package dir)",
    placeholder: "leofs_1.4.3-1_ubuntu-18.04_amd64.deb",
    validate: matching(FILE_NAME, "a plain file name (no directories)"),
  },
  diracSetup: {
    name: "setup",
    syntax: "[setup]",
    label: "DIRAC setup",
    placeholder: "LHCb-Production",
    validate: matching(SETUP, "a DIRAC setup name like `LHCb-Production`"),
  },
} as const satisfies Record<string, ParamField>;

/** Fields a procedure cannot plan without, in the order the modal asks for them. */
export const REQUIRED_FIELDS: Readonly<Record<string, readonly ParamField[]>> = {
  "leofs.recover-manager": [FIELDS.managerTarget],
  "leofs.takeover-manager": [FIELDS.takeoverReplace, FIELDS.newHost, FIELDS.newNode],
  "leofs.launch": [],
  "leofs.storage": [FIELDS.storageNode],
  "leofs.upgrade": [FIELDS.upgradeTarget, FIELDS.version],
  "dirac.intervention": [],
};

export function fieldByName(procedureId: string, name: string): ParamField | undefined {
  return REQUIRED_FIELDS[procedureId]?.find((f) => f.name === name);
}
