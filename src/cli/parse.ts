import { UsageError } from '../core/errors.js';

/** Parses a whole number option, naming the option when it is not one. */
export function intOption(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got ${JSON.stringify(value)}`);
    const n = Number.parseInt(value, 10);
    if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/** Parses an option whose value is one of a fixed set, naming the choices when it is not. */
export function choiceOption<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return value as T;
  };
}
