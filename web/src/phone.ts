// Phone numbers as the portal shows them: masked (138****1234) for people
// whose role may not see them in full. The API already masks them for such
// people, the same way; masking a masked number leaves it as it is.
import { atLeast, type Role } from "./api/client";

/** The national part of a +86 number, else the number as stored. */
function national(e164: string): string {
  return e164.startsWith("+86") ? e164.slice(3) : e164;
}

export function maskPhone(e164: string): string {
  const n = national(e164);
  if (n.length < 7) return n.replace(/\d(?=\d{2})/g, "*");
  return `${n.slice(0, 3)}****${n.slice(-4)}`;
}

/** Operators and stronger see numbers in full; viewers see them masked. */
export function showPhone(e164: string, role: Role | undefined): string {
  return atLeast(role, "operator") ? national(e164) : maskPhone(e164);
}
