import { Skeleton } from "antd";
import { lazy, Suspense, type ComponentProps } from "react";

const Chart = lazy(() => import("./Chart"));

export default function LazyChart(props: ComponentProps<typeof Chart>) {
  return (
    <Suspense fallback={<Skeleton.Node active style={{ width: "100%", height: props.height ?? 280 }} />}>
      <Chart {...props} />
    </Suspense>
  );
}
