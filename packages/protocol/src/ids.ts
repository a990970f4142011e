/** The ids the API takes: a prefix that says what they name and 96 random bits as 24 hex digits. */
export const ID_FORMATS = {
  grant: { prefix: "grant_", pattern: /^grant_[0-9a-f]{24}$/, noun: "a grant id" },
  apiKey: { prefix: "key_", pattern: /^key_[0-9a-f]{24}$/, noun: "an API key id" },
  app: { prefix: "app_", pattern: /^app_[0-9a-f]{24}$/, noun: "an app id" },
  operatorKey: { prefix: "opk_", pattern: /^opk_[0-9a-f]{24}$/, noun: "an operator key id" },
} as const;

export type IdKind = keyof typeof ID_FORMATS;

/** Values mistaken for ids that must not be echoed: they are secrets. */
const SECRET_SHAPES = [
  { prefix: "gv_live_", noun: "an API key" },
  { prefix: "gv_op_", noun: "an operator key" },
  { prefix: "gvcs_", noun: "a connect session token" },
] as const;

/**
 * Why `value` is not an id of `kind`, said by its shape only (never the value: a secret pasted in
 * the wrong place must not end up in an error), with what an id looks like; null when it is one.
 */
export function idProblem(kind: IdKind, value: unknown): string | null {
  const format = ID_FORMATS[kind];
  if (typeof value === "string" && format.pattern.test(value)) return null;
  const looksLike = `${format.noun} is "${format.prefix}" and 24 lowercase hex digits, e.g. ${format.prefix}0123456789abcdef01234567`;
  return `not ${format.noun}: ${shapeOf(value, kind)}; ${looksLike}`;
}

function shapeOf(value: unknown, kind: IdKind): string {
  if (typeof value !== "string") return `got ${value === null ? "null" : typeof value}`;
  if (value === "") return "got an empty string";
  const secret = SECRET_SHAPES.find((shape) => value.toLowerCase().startsWith(shape.prefix));
  if (secret) return `got what looks like ${secret.noun} (${secret.prefix}…), which is a secret`;
  const other = Object.entries(ID_FORMATS).find(
    ([otherKind, format]) => otherKind !== kind && format.pattern.test(value),
  );
  if (other) return `got ${other[1].noun}`;
  const { prefix } = ID_FORMATS[kind];
  if (value.startsWith(prefix)) {
    return `got "${prefix}" and ${value.length - prefix.length} character(s) that are not 24 lowercase hex digits`;
  }
  return `got ${value.length} character(s) that do not start with "${prefix}"`;
}
