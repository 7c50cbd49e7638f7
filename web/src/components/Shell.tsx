// The frame around every screen once logged in: the menu, the tenant, the
// notices bell, the language switch and the user menu.
import {
  ApiOutlined,
  AuditOutlined,
  BarChartOutlined,
  BellOutlined,
  BranchesOutlined,
  CodeOutlined,
  ContactsOutlined,
  CustomerServiceOutlined,
  DashboardOutlined,
  KeyOutlined,
  LogoutOutlined,
  MessageOutlined,
  NotificationOutlined,
  PhoneOutlined,
  RocketOutlined,
  SafetyOutlined,
  TeamOutlined,
  TranslationOutlined,
  UserOutlined,
  WalletOutlined,
} from "@ant-design/icons";
import { Badge, Button, Dropdown, Layout, Menu, Space, Tooltip, Typography, type MenuProps } from "antd";
import { useEffect, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useLocation, useNavigate } from "react-router";
import { api, unwrap, type Role } from "../api/client";
import { setLanguage } from "../i18n";
import { useSession } from "../session/Session";

const { Header, Sider, Content } = Layout;

/** Every screen of the portal, in menu order. */
export const sections: { key: string; icon: ReactNode; group: "work" | "setup" }[] = [
  { key: "dashboard", icon: <DashboardOutlined />, group: "work" },
  { key: "contacts", icon: <ContactsOutlined />, group: "work" },
  { key: "segments", icon: <BranchesOutlined />, group: "work" },
  { key: "scripts", icon: <CodeOutlined />, group: "work" },
  { key: "campaigns", icon: <RocketOutlined />, group: "work" },
  { key: "calls", icon: <PhoneOutlined />, group: "work" },
  { key: "desk", icon: <CustomerServiceOutlined />, group: "work" },
  { key: "messages", icon: <MessageOutlined />, group: "work" },
  { key: "review", icon: <AuditOutlined />, group: "work" },
  { key: "reports", icon: <BarChartOutlined />, group: "work" },
  { key: "members", icon: <TeamOutlined />, group: "setup" },
  { key: "api-keys", icon: <KeyOutlined />, group: "setup" },
  { key: "webhooks", icon: <ApiOutlined />, group: "setup" },
  { key: "trunks", icon: <PhoneOutlined />, group: "setup" },
  { key: "compliance", icon: <SafetyOutlined />, group: "setup" },
  { key: "billing", icon: <WalletOutlined />, group: "setup" },
  { key: "notices", icon: <NotificationOutlined />, group: "setup" },
];

export function pathOf(key: string) {
  return key === "dashboard" ? "/" : `/${key}`;
}

/** The sections a role's menu shows: an agent only takes calls, at the desk. */
export function visibleSections(role: Role | undefined) {
  return role === "agent" ? sections.filter((s) => s.key === "desk") : sections;
}

/**
 * Where a role may go in the portal: null for anywhere, else the one page
 * every other address leads to (an agent's desk, also where they land
 * after signing in).
 */
export function onlyPathOf(role: Role | undefined): string | null {
  return role === "agent" ? "/desk" : null;
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const other = i18n.language === "en" ? "zh-CN" : "en";
  return (
    <Tooltip title={t("shell.switchLanguage")}>
      <Button icon={<TranslationOutlined />} onClick={() => setLanguage(other)} data-testid="lang-switch">
        {t("shell.otherLanguage")}
      </Button>
    </Tooltip>
  );
}

export { LanguageSwitch };

export default function Shell() {
  const { t } = useTranslation();
  const { me, logout } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const [notices, setNotices] = useState(0);

  const agent = me?.role === "agent";
  useEffect(() => {
    if (agent) return;
    unwrap(api.GET("/v1/notices"))
      .then((r) => setNotices(r.items?.length ?? 0))
      .catch(() => setNotices(0));
  }, [location.pathname, agent]);

  const visible = visibleSections(me?.role);
  const current = visible.find((s) => s.key !== "dashboard" && location.pathname.startsWith(pathOf(s.key)))?.key ?? "dashboard";
  const item = (s: (typeof sections)[number]) => ({
    key: s.key,
    icon: s.icon,
    label: (
      <Link to={pathOf(s.key)} data-testid={`nav-${s.key}`}>
        {t(`nav.${s.key}`)}
      </Link>
    ),
  });
  const menu: MenuProps["items"] = (["work", "setup"] as const)
    .map((group) => ({ type: "group" as const, key: group, label: t(group === "work" ? "nav.groupWork" : "nav.groupSetup"), children: visible.filter((s) => s.group === group).map(item) }))
    .filter((g) => g.children.length > 0);

  const userMenu: MenuProps["items"] = [
    { key: "role", disabled: true, icon: <AuditOutlined />, label: t(`roles.${me?.role ?? "viewer"}`) },
    { type: "divider" },
    { key: "logout", icon: <LogoutOutlined />, label: <span data-testid="logout">{t("shell.logout")}</span> },
  ];

  return (
    <Layout style={{ minHeight: "100vh" }}>
      <Sider width={240} theme="light" style={{ borderInlineEnd: "1px solid #f0f0f0" }}>
        <div style={{ padding: "18px 24px", fontWeight: 600, fontSize: 18 }}>
          <Link to={onlyPathOf(me?.role) ?? "/"} style={{ color: "inherit" }}>
            <img src="/favicon.svg" alt="" width={24} style={{ verticalAlign: -5, marginInlineEnd: 8 }} />
            {t("app.name")}
          </Link>
        </div>
        <Menu mode="inline" selectedKeys={[current]} items={menu} style={{ borderInlineEnd: 0 }} />
      </Sider>
      <Layout>
        <Header style={{ background: "#fff", padding: "0 24px", display: "flex", alignItems: "center", justifyContent: "space-between", borderBottom: "1px solid #f0f0f0" }}>
          <Typography.Text strong data-testid="tenant-name">
            {me?.tenant.name}
          </Typography.Text>
          <Space size="middle">
            {!agent && (
              <Link to="/notices" aria-label={t("nav.notices")}>
                <Badge count={notices} size="small">
                  <BellOutlined style={{ fontSize: 18 }} />
                </Badge>
              </Link>
            )}
            <LanguageSwitch />
            <Dropdown
              trigger={["click"]}
              menu={{
                items: userMenu,
                onClick: async ({ key }) => {
                  if (key === "logout") {
                    await logout().catch(() => undefined);
                    navigate("/login");
                  }
                },
              }}
            >
              <Button icon={<UserOutlined />} data-testid="user-menu">
                {me?.user?.name || me?.user?.email}
              </Button>
            </Dropdown>
          </Space>
        </Header>
        <Content style={{ padding: 24 }}>
          <Outlet />
        </Content>
      </Layout>
    </Layout>
  );
}
