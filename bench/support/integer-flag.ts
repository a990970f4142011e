/** A flag's value as a whole number within bounds; throws with a readable message otherwise. */
export function integerIn(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A flag's value as one of `choices`; throws with a readable message otherwise. */
export function oneOf<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new Error(
      `${flag} must be ${choices.join(", ").replace(/, ([^,]*)$/, " or $1")}, got ${JSON.stringify(text)}`,
    );
  }
  return text as T;
}
