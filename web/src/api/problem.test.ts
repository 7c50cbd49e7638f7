import { describe, expect, it } from "vitest";
import { ApiError, fieldOf, splitProblem } from "./problem";

describe("fieldOf", () => {
  it.each([
    ["body.email", "email"],
    ["body.scopes[1]", "scopes"],
    ["body.event_types", "event_types"],
    ["body.user.name", "user"],
    ["query.cursor", undefined],
    ["path.key_id", undefined],
    ["body", undefined],
    [undefined, undefined],
  ])("reads %s as the field %s", (loc, want) => {
    expect(fieldOf(loc)).toBe(want);
  });
});

describe("splitProblem", () => {
  const conflict = new ApiError({
    status: 409,
    title: "Conflict",
    detail: "a user with this email address exists already",
    errors: [{ location: "body.email", message: "a user with this email address exists already" }],
  });

  it("puts an error at body.email next to the email field", () => {
    const got = splitProblem(conflict, ["email", "name"]);
    expect(got.byField).toEqual({ email: ["a user with this email address exists already"] });
    expect(got.general).toEqual([]);
    expect(got.status).toBe(409);
  });

  it("keeps an error for a field the form lacks for the alert above it", () => {
    const got = splitProblem(conflict, ["name"]);
    expect(got.byField).toEqual({});
    expect(got.general).toEqual(["a user with this email address exists already"]);
  });

  it("uses the detail when the problem names no input", () => {
    const got = splitProblem(new ApiError({ status: 401, detail: "invalid credentials" }), ["email"]);
    expect(got.general).toEqual(["invalid credentials"]);
  });

  it("finds the field of a missing required property reported at body", () => {
    const err = new ApiError({ status: 422, errors: [{ location: "body", message: "expected required property email to be present" }] });
    expect(splitProblem(err, ["email"]).byField).toEqual({ email: ["expected required property email to be present"] });
  });

  it("groups several errors of one field", () => {
    const err = new ApiError({
      status: 422,
      errors: [
        { location: "body.scopes[0]", message: "unknown scope \"a\"" },
        { location: "body.scopes[2]", message: "unknown scope \"b\"" },
      ],
    });
    expect(splitProblem(err, ["scopes"]).byField.scopes).toHaveLength(2);
  });

  it("reports a failure that is not an API answer", () => {
    const got = splitProblem(new TypeError("Failed to fetch"), ["email"]);
    expect(got.general).toEqual(["Failed to fetch"]);
    expect(got.status).toBe(0);
  });
});
