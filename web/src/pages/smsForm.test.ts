import { describe, expect, it } from "vitest";
import { duplicateName, smsBody, smsFieldOf, smsName, smsValues, type SMS } from "./smsForm";

const stored: SMS = {
  provider: "aliyun",
  endpoint: "",
  region: "cn-hangzhou",
  access_key_id: "LTAI5tExample",
  has_secret: true,
  app_id: "",
  sign_name: "外呼科技",
  templates: {
    reminder: { id: "SMS_100", params: null },
    payment_link: { id: "SMS_276435098", params: ["name", "link"] },
  },
};

describe("the SMS settings form", () => {
  it("fills the form from the stored settings: templates by name, the secret never shown", () => {
    const v = smsValues(stored);
    expect(v.secret).toBe("");
    expect(v.templates).toEqual([
      { name: "payment_link", id: "SMS_276435098", params: ["name", "link"] },
      { name: "reminder", id: "SMS_100", params: [] },
    ]);
  });

  it("keeps the stored secret unless one is typed", () => {
    const kept = smsBody(smsValues(stored));
    expect("secret" in kept).toBe(false);
    expect(kept).toEqual({
      provider: "aliyun",
      region: "cn-hangzhou",
      access_key_id: "LTAI5tExample",
      sign_name: "外呼科技",
      templates: { payment_link: { id: "SMS_276435098", params: ["name", "link"] }, reminder: { id: "SMS_100", params: [] } },
    });
    expect(smsBody({ ...smsValues(stored), secret: " new-secret " }).secret).toBe("new-secret");
    expect("secret" in smsBody({ ...smsValues(stored), secret: "   " })).toBe(false);
  });

  it("sends the app id for Tencent only, trims what was typed and leaves out empty template rows", () => {
    const body = smsBody({
      provider: "tencent",
      endpoint: " https://sms.internal.example ",
      region: "ap-guangzhou",
      access_key_id: " AKIDexample ",
      app_id: " 1400000000 ",
      sign_name: " 外呼科技 ",
      templates: [{ name: " payment_link ", id: " 1234567 ", params: ["name", " link "] }, { name: "", id: "", params: [] }],
    });
    expect(body).toEqual({
      provider: "tencent",
      endpoint: "https://sms.internal.example",
      region: "ap-guangzhou",
      access_key_id: "AKIDexample",
      app_id: "1400000000",
      sign_name: "外呼科技",
      templates: { payment_link: { id: "1234567", params: ["name", "link"] } },
    });
    expect(smsBody({ provider: "aliyun", app_id: "1400000000" }).app_id).toBeUndefined();
  });

  it("keeps the other settings when the provider is turned off", () => {
    const body = smsBody({ ...smsValues(stored), provider: "off" });
    expect(body.provider).toBe("off");
    expect(body.access_key_id).toBe("LTAI5tExample");
    expect(Object.keys(body.templates ?? {})).toEqual(["payment_link", "reminder"]);
  });

  it("knows the names the API takes and finds a name given twice", () => {
    expect(smsName.test("payment_link")).toBe(true);
    expect(smsName.test("Payment")).toBe(false);
    expect(smsName.test("1st")).toBe(false);
    const rows = [{ name: "pay" }, { name: "remind" }, { name: " pay " }];
    expect(duplicateName(rows, 0)).toBe(true);
    expect(duplicateName(rows, 1)).toBe(false);
    expect(duplicateName([{ name: "" }, { name: "" }], 0)).toBe(false);
  });

  it("puts the API's errors at the field and template row they concern", () => {
    const rows = [{ name: "reminder" }, { name: "payment_link" }];
    expect(smsFieldOf("body.app_id", rows)).toEqual(["app_id"]);
    expect(smsFieldOf("body.sign_name", rows)).toEqual(["sign_name"]);
    expect(smsFieldOf("body.templates.payment_link.id", rows)).toEqual(["templates", 1, "id"]);
    expect(smsFieldOf("body.templates.reminder.params", rows)).toEqual(["templates", 0, "params"]);
    expect(smsFieldOf("body.templates.Pay", [{ name: "Pay" }])).toEqual(["templates", 0, "id"]);
    expect(smsFieldOf("body.templates", [{ name: "Pay" }], 'template name "Pay": use lower-case letters, digits and _, starting with a letter')).toEqual(["templates", 0, "name"]);
    expect(smsFieldOf("body.templates", rows, "give at least one approved template")).toBeNull();
    expect(smsFieldOf("body.templates.gone.id", rows)).toBeNull();
    expect(smsFieldOf("query.cursor", rows)).toBeNull();
    expect(smsFieldOf(undefined, rows)).toBeNull();
  });
});
