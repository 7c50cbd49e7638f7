// The API writes its messages in English. The ones a person meets in a form
// are recognised here and said in the portal's language; any other message
// is shown as the API wrote it.
import type { TFunction } from "i18next";

type Rule = [RegExp, (m: RegExpExecArray, t: TFunction) => string];

const rules: Rule[] = [
  [/^expected length >= (\d+)$/, (m, t) => t("errors.minLength", { n: Number(m[1]) })],
  [/^the password must be at least (\d+) characters long$/, (m, t) => t("errors.minLength", { n: Number(m[1]) })],
  [/^expected length <= (\d+)$/, (m, t) => t("errors.maxLength", { n: Number(m[1]) })],
  [/^expected required property (\S+) to be present$/, (_m, t) => t("errors.required")],
  [/^expected string to be RFC 5322 email|is not an email address$/, (_m, t) => t("errors.email")],
  [/^expected string to be RFC 3986 uri|is not an http\(s\) URL$/, (_m, t) => t("errors.url")],
  [/loopback, private, link-local or otherwise internal$/, (_m, t) => t("errors.internalAddress")],
  [/^cannot resolve /, (_m, t) => t("errors.unresolvable")],
  [/^not a duration$|is a duration such as/, (_m, t) => t("errors.duration")],
  [/^a user with this email address exists already$/, (_m, t) => t("errors.emailTaken")],
  [/^invalid credentials$/, (_m, t) => t("errors.invalidCredentials")],
  [/^this invitation does not exist or has expired$/, (_m, t) => t("errors.invitationExpired")],
  [/^this needs the (\w+) role or stronger; yours is (\w+)$/, (m, t) =>
    t("errors.needRole", { role: t(`roles.${m[1]}`), yours: t(`roles.${m[2]}`) })],
  [/^only an owner can /, (_m, t) => t("errors.ownerOnly")],
  [/^a tenant needs at least one owner/, (_m, t) => t("errors.lastOwner")],
  [/^a key cannot be stronger than the role that creates it$/, (_m, t) => t("errors.keyTooStrong")],
  [/^must be an http\(s\) URL without credentials/, (_m, t) => t("errors.url")],
  [/^the provider's id of the approved template is needed$/, (_m, t) => t("sms.errors.templateId")],
  [/^the provider's access key id .* is needed$/, (_m, t) => t("sms.errors.accessKeyId")],
  [/^Tencent Cloud SMS needs the SMS application's SdkAppId$/, (_m, t) => t("sms.errors.appId")],
  [/^name the approved signature/, (_m, t) => t("sms.errors.signName")],
  [/^give at least one approved template/, (_m, t) => t("sms.needTemplate")],
  [/^(?:template name|variable) "([^"]*)": use lower-case letters/, (m, t) => t("sms.errors.name", { name: m[1] })],
  [/^name one of the tenant's SMS templates/, (_m, t) => t("campaigns.pickTemplate")],
];

/** Says an API message in the portal's language when it is a known one. */
export function translateMessage(message: string, t: TFunction): string {
  for (const [re, say] of rules) {
    const m = re.exec(message);
    if (m) return say(m, t);
  }
  return message;
}
