// Puts an API error next to the form fields it concerns; returns what
// belongs to no field, for an alert above the form.
import type { FormInstance } from "antd";
import type { TFunction } from "i18next";
import { splitProblem } from "../api/problem";
import { translateMessage } from "../api/messages";

export function showProblem(form: FormInstance, err: unknown, fields: readonly string[], t: TFunction): string | null {
  const { byField, general, status } = splitProblem(err, fields);
  form.setFields(
    Object.entries(byField).map(([name, errors]) => ({ name, errors: errors.map((m) => translateMessage(m, t)) })),
  );
  if (general.length === 0) return null;
  if (status === 0 && general.every((g) => g.includes("fetch"))) return t("errors.network");
  return general.map((m) => translateMessage(m, t)).join("; ");
}

/** A message for an error shown outside a form (a toast, a page). */
export function problemMessage(err: unknown, t: TFunction): string {
  const { general, byField, status } = splitProblem(err, []);
  if (status === 403 && general.length === 1 && !/role|scope|owner/.test(general[0])) return t("errors.forbidden");
  const all = [...general, ...Object.values(byField).flat()];
  return all.map((m) => translateMessage(m, t)).join("; ");
}
