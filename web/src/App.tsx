// The portal's routes. Screens whose API has not landed yet show what they
// will hold; each replaces its ComingSoonPage route when it is built.
import { App as AntApp, ConfigProvider, Spin } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { useTranslation } from "react-i18next";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import type { ReactNode } from "react";
import Shell, { pathOf, sections } from "./components/Shell";
import ApiKeysPage from "./pages/ApiKeys";
import { AcceptInvitationPage, LoginPage, SignupPage } from "./pages/Auth";
import BillingPage from "./pages/Billing";
import ComingSoonPage from "./pages/ComingSoon";
import CompliancePage from "./pages/Compliance";
import ContactsPage from "./pages/Contacts";
import DashboardPage from "./pages/Dashboard";
import MembersPage from "./pages/Members";
import NoticesPage from "./pages/Notices";
import ReportsPage from "./pages/Reports";
import ReviewPage from "./pages/Review";
import SegmentsPage from "./pages/Segments";
import TrunksPage from "./pages/Trunks";
import WebhookDetailPage from "./pages/WebhookDetail";
import WebhooksPage from "./pages/Webhooks";
import { SessionProvider, useSession } from "./session/Session";

function RequireSession({ children }: { children: ReactNode }) {
  const { me, loading } = useSession();
  const location = useLocation();
  if (loading) {
    return (
      <div style={{ display: "flex", justifyContent: "center", paddingTop: "30vh" }}>
        <Spin size="large" />
      </div>
    );
  }
  if (!me) {
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function PortalRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      <Route
        element={
          <RequireSession>
            <Shell />
          </RequireSession>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route path="api-keys" element={<ApiKeysPage />} />
        <Route path="members" element={<MembersPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="webhooks/:id" element={<WebhookDetailPage />} />
        <Route path="notices" element={<NoticesPage />} />
        <Route path="billing" element={<BillingPage />} />
        <Route path="compliance" element={<CompliancePage />} />
        <Route path="contacts" element={<ContactsPage />} />
        <Route path="segments" element={<SegmentsPage />} />
        <Route path="review" element={<ReviewPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="trunks" element={<TrunksPage />} />
        {sections
          .filter((s) => s.soon)
          .map((s) => (
            <Route key={s.key} path={pathOf(s.key).slice(1)} element={<ComingSoonPage section={s.key} />} />
          ))}
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

export default function PortalApp() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={i18n.language === "en" ? enUS : zhCN} theme={{ token: { colorPrimary: "#1677ff", borderRadius: 6 } }}>
      <AntApp>
        <SessionProvider>
          <BrowserRouter>
            <PortalRoutes />
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}
