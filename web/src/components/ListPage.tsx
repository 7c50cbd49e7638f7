// The pieces a list page is made of: its heading, the error of the last
// load, and a card with the table, its empty state and "load more".
import { Alert, Button, Card, Empty, Space, Table, Typography, type TableProps } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { PagedList } from "./usePagedList";

/** An error above a page's content or a form; nothing when there is none. */
export function ErrorAlert({ error, testId }: { error: string | null | undefined; testId?: string }) {
  if (!error) return null;
  return <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} data-testid={testId} />;
}

/** The page title with its intro below; action (a button) sits on the right. */
export function PageHeader({ title, intro, action }: { title: ReactNode; intro: ReactNode; action?: ReactNode }) {
  if (action === undefined) {
    return (
      <>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
          {title}
        </Typography.Title>
        <Typography.Paragraph type="secondary">{intro}</Typography.Paragraph>
      </>
    );
  }
  return (
    <Space style={{ width: "100%", justifyContent: "space-between", marginBottom: 16 }}>
      <div>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="page-title">
          {title}
        </Typography.Title>
        <Typography.Text type="secondary">{intro}</Typography.Text>
      </div>
      {action}
    </Space>
  );
}

/** Asks for the next page while there is one. */
export function LoadMore({ cursor, load }: { cursor: string; load: (after: string) => unknown }) {
  const { t } = useTranslation();
  if (!cursor) return null;
  return (
    <Button style={{ marginTop: 16 }} onClick={() => load(cursor)}>
      {t("common.loadMore")}
    </Button>
  );
}

type PagedTableProps<T> = Omit<TableProps<T>, "loading" | "pagination"> & {
  list: PagedList<T>;
  /** What the table shows when the list is empty: a string is put in an Empty. */
  empty: ReactNode;
  /** The card's title. */
  cardTitle?: ReactNode;
  /** Shown in the card's head, e.g. a create button. */
  extra?: ReactNode;
};

/** A paged list in a card: the rows, the empty state and "load more". */
export function PagedTable<T extends object>({ list, empty, cardTitle, extra, ...table }: PagedTableProps<T>) {
  return (
    <Card title={cardTitle} extra={extra}>
      <Table<T>
        rowKey="id"
        dataSource={list.items}
        {...table}
        loading={list.loading}
        pagination={false}
        locale={{ emptyText: typeof empty === "string" ? <Empty description={empty} /> : empty }}
      />
      <LoadMore cursor={list.cursor} load={list.load} />
    </Card>
  );
}
