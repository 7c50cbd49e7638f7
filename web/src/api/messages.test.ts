import { describe, expect, it } from "vitest";
import i18n from "../i18n";
import { translateMessage } from "./messages";

describe("translateMessage", () => {
  it("says known API messages in Chinese by default", async () => {
    await i18n.changeLanguage("zh-CN");
    const t = i18n.t.bind(i18n);
    expect(translateMessage("expected length >= 10", t)).toBe("至少 10 个字符");
    expect(translateMessage("invalid credentials", t)).toBe("邮箱或密码不正确");
    expect(translateMessage("this needs the admin role or stronger; yours is viewer", t)).toBe("需要管理员或更高角色,您的角色是只读");
    expect(translateMessage('"x" is not an email address', t)).toBe("请输入有效的邮箱地址");
  });

  it("says them in English when English is chosen", async () => {
    await i18n.changeLanguage("en");
    const t = i18n.t.bind(i18n);
    expect(translateMessage("the password must be at least 10 characters long", t)).toBe("At least 10 characters");
    expect(translateMessage("127.0.0.1 resolves to 127.0.0.1: the address is loopback, private, link-local or otherwise internal", t)).toBe(
      "Internal, loopback and reserved addresses are not allowed",
    );
    await i18n.changeLanguage("zh-CN");
  });

  it("says the SMS settings' refusals in the portal's language", async () => {
    await i18n.changeLanguage("zh-CN");
    const t = i18n.t.bind(i18n);
    expect(translateMessage("the provider's id of the approved template is needed", t)).toBe("请填写服务商的模板 ID");
    expect(translateMessage("Tencent Cloud SMS needs the SMS application's SdkAppId", t)).toBe("腾讯云短信需要短信应用的 SdkAppId");
    expect(translateMessage('template name "Pay": use lower-case letters, digits and _, starting with a letter', t)).toBe("“Pay”:请用小写字母、数字和 _,并以字母开头");
    expect(translateMessage("name one of the tenant's SMS templates (GET /v1/sms/settings)", t)).toBe("选择短信模板");
    await i18n.changeLanguage("en");
    expect(translateMessage('variable "Name": use lower-case letters, digits and _, starting with a letter', i18n.t.bind(i18n))).toBe(
      '"Name": use lower-case letters, digits and _, starting with a letter',
    );
    await i18n.changeLanguage("zh-CN");
  });

  it("passes unknown messages through as the API wrote them", () => {
    expect(translateMessage("something new went wrong", i18n.t.bind(i18n))).toBe("something new went wrong");
  });
});
