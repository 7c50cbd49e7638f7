// Sign up, log in and accept an invitation: the screens before the shell.
import { Alert, Button, Card, Form, Input, Typography } from "antd";
import { useEffect, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { problemMessage, showProblem } from "../components/forms";
import { LanguageSwitch } from "../components/Shell";
import { useSession } from "../session/Session";

function AuthFrame({ title, subtitle, children }: { title: string; subtitle?: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div style={{ minHeight: "100vh", background: "linear-gradient(160deg,#e6f4ff,#f5f5f5)", display: "flex", flexDirection: "column" }}>
      <div style={{ display: "flex", justifyContent: "space-between", padding: "16px 24px" }}>
        <Typography.Text strong style={{ fontSize: 18 }}>
          <img src="/favicon.svg" alt="" width={24} style={{ verticalAlign: -5, marginInlineEnd: 8 }} />
          {t("app.name")}
        </Typography.Text>
        <LanguageSwitch />
      </div>
      <div style={{ flex: 1, display: "flex", alignItems: "center", justifyContent: "center", padding: 16 }}>
        <Card style={{ width: 420, maxWidth: "100%" }}>
          <Typography.Title level={3} style={{ marginTop: 0 }}>
            {title}
          </Typography.Title>
          {subtitle && <Typography.Paragraph type="secondary">{subtitle}</Typography.Paragraph>}
          {children}
        </Card>
      </div>
    </div>
  );
}

async function login(email: string, password: string) {
  return unwrap(api.POST("/v1/login", { body: { email, password } }));
}

export function LoginPage() {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const { me, refresh } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = params.get("next") || "/";
  if (me) return <Navigate to={next} replace />;

  const submit = async (v: { email: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await login(v.email, v.password);
      await refresh();
      navigate(next, { replace: true });
    } catch (e) {
      setError(showProblem(form, e, ["email", "password"], t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title={t("auth.loginTitle")} subtitle={t("auth.loginSubtitle")}>
      {(location.state as { accepted?: boolean } | null)?.accepted && (
        <Alert type="success" showIcon title={t("auth.invitationAccepted")} style={{ marginBottom: 16 }} />
      )}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="form-error" />}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} initialValues={{ email: params.get("email") ?? "" }}>
        <Form.Item name="email" label={t("auth.email")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input autoComplete="username" data-testid="login-email" />
        </Form.Item>
        <Form.Item name="password" label={t("auth.password")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input.Password autoComplete="current-password" data-testid="login-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
          {t("auth.login")}
        </Button>
      </Form>
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        {t("auth.noAccount")} <Link to="/signup" data-testid="to-signup">{t("auth.signup")}</Link>
      </Typography.Paragraph>
    </AuthFrame>
  );
}

export function SignupPage() {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const { me, refresh } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The first API key's secret exists only in the sign-up answer: the
  // dashboard shows it once.
  const [firstKey, setFirstKey] = useState<string | null>(null);
  if (me) return <Navigate to="/" replace state={firstKey ? { firstKey } : undefined} />;

  const submit = async (v: { tenant_name: string; name?: string; email: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const su = await unwrap(api.POST("/v1/signup", { body: v }));
      setFirstKey(su.api_key.secret);
      await login(v.email, v.password);
      await refresh();
    } catch (e) {
      setError(showProblem(form, e, ["tenant_name", "name", "email", "password"], t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title={t("auth.signupTitle")} subtitle={t("auth.signupSubtitle")}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid="form-error" />}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
        <Form.Item name="tenant_name" label={t("auth.tenantName")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input placeholder={t("auth.tenantNamePlaceholder")} data-testid="signup-tenant" />
        </Form.Item>
        <Form.Item name="name" label={t("auth.yourName")}>
          <Input placeholder={t("auth.yourNamePlaceholder")} data-testid="signup-name" />
        </Form.Item>
        <Form.Item name="email" label={t("auth.email")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input autoComplete="username" data-testid="signup-email" />
        </Form.Item>
        <Form.Item name="password" label={t("auth.password")} extra={t("auth.passwordHint")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input.Password autoComplete="new-password" data-testid="signup-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} data-testid="signup-submit">
          {t("auth.signupButton")}
        </Button>
      </Form>
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
        {t("auth.haveAccount")} <Link to="/login">{t("auth.login")}</Link>
      </Typography.Paragraph>
    </AuthFrame>
  );
}

export function AcceptInvitationPage() {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (v: { token: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const u = await unwrap(api.POST("/v1/invitations/accept", { body: v }));
      navigate(`/login?email=${encodeURIComponent(u.email)}`, { replace: true, state: { accepted: true } });
    } catch (e) {
      setError(showProblem(form, e, ["token", "password"], t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title={t("auth.acceptTitle")} subtitle={t("auth.acceptSubtitle")}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} initialValues={{ token: params.get("token") ?? "" }}>
        <Form.Item name="token" label={t("auth.invitationToken")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input />
        </Form.Item>
        <Form.Item name="password" label={t("auth.newPassword")} extra={t("auth.passwordHint")} rules={[{ required: true, message: t("errors.required") }]}>
          <Input.Password autoComplete="new-password" data-testid="accept-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} data-testid="accept-submit">
          {t("auth.acceptButton")}
        </Button>
      </Form>
    </AuthFrame>
  );
}

/** The page a verification link opens: it verifies the address at once. */
export function VerifyEmailPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [state, setState] = useState<{ done: boolean; email?: string; error?: string }>({ done: false });
  useEffect(() => {
    if (!token) {
      setState({ done: true, error: t("auth.verifyNoToken") });
      return;
    }
    unwrap(api.POST("/v1/verify-email", { body: { token } }))
      .then((u) => setState({ done: true, email: u.email }))
      .catch((e) => setState({ done: true, error: problemMessage(e, t) }));
  }, [token, t]);
  return (
    <AuthFrame title={t("auth.verifyTitle")}>
      {!state.done && <Typography.Paragraph data-testid="verify-pending">{t("auth.verifying")}</Typography.Paragraph>}
      {state.email && <Alert type="success" showIcon title={t("auth.verified", { email: state.email })} data-testid="verify-done" />}
      {state.error && <Alert type="error" showIcon title={state.error} data-testid="verify-error" />}
      {state.done && (
        <Typography.Paragraph style={{ marginTop: 16 }}>
          <Link to="/">{t("auth.verifyContinue")}</Link>
        </Typography.Paragraph>
      )}
    </AuthFrame>
  );
}
