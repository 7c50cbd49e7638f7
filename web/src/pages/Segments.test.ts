// Compile errors of segmentation rules come as problem+json; the editor
// needs each finding's line to show it there.
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/problem";
import { lineErrors } from "./Segments";

describe("lineErrors", () => {
  it("takes line and column from the diagnostic the API puts in value", () => {
    const err = new ApiError({
      status: 422,
      title: "the script has errors",
      errors: [{ location: "body.source", message: "3:7: SyntaxError: Unexpected token", value: { severity: "error", line: 3, column: 7, message: "SyntaxError: Unexpected token" } }],
    });
    expect(lineErrors(err)).toEqual([{ line: 3, column: 7, message: "SyntaxError: Unexpected token" }]);
  });

  it("reads line:column from the message when there is no value", () => {
    const err = new ApiError({ status: 422, errors: [{ location: "body.source", message: "12:1: a segmentation script must export function segment(contact)" }] });
    expect(lineErrors(err)).toEqual([{ line: 12, column: 1, message: "a segmentation script must export function segment(contact)" }]);
  });

  it("ignores errors about other fields and errors that are not the API's", () => {
    expect(lineErrors(new ApiError({ status: 422, errors: [{ location: "body.list_id", message: "not found" }] }))).toEqual([]);
    expect(lineErrors(new Error("network"))).toEqual([]);
  });
});
