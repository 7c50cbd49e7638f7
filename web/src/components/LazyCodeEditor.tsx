import { Skeleton } from "antd";
import { lazy, Suspense, type ComponentProps } from "react";

const CodeEditor = lazy(() => import("./CodeEditor"));

/** The code editor, loaded on first use so other screens stay small. */
export default function LazyCodeEditor(props: ComponentProps<typeof CodeEditor>) {
  return (
    <Suspense fallback={<Skeleton active paragraph={{ rows: 12 }} />}>
      <CodeEditor {...props} />
    </Suspense>
  );
}
