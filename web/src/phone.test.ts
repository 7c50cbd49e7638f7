import { describe, expect, it } from "vitest";
import { maskPhone, showPhone } from "./phone";

describe("phone numbers", () => {
  it("mask the middle of a Chinese mobile number", () => {
    expect(maskPhone("+8613812341234")).toBe("138****1234");
  });
  it("mask other numbers too", () => {
    expect(maskPhone("+4915112345678")).toBe("+49****5678");
    expect(maskPhone("12345")).toBe("***45");
  });
  it("leave a number the API masked as it is", () => {
    for (const masked of ["138****1234", "+49****5678", "***45", "215****1234"]) {
      expect(maskPhone(masked)).toBe(masked);
      expect(showPhone(masked, "viewer")).toBe(masked);
    }
  });
  it("show the full number to operators and stronger, masked to viewers", () => {
    expect(showPhone("+8613812341234", "operator")).toBe("13812341234");
    expect(showPhone("+8613812341234", "viewer")).toBe("138****1234");
  });
});
