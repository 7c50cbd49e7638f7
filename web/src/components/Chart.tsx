// A chart drawn by ECharts, loaded only by the screens that show one (see
// LazyChart), so the first page stays small.
import { BarChart, GraphChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { init, use, type EChartsCoreOption, type ECharts } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

use([BarChart, GraphChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export default function Chart({
  option,
  height = 280,
  testId,
  onClick,
}: {
  option: EChartsCoreOption;
  height?: number;
  testId?: string;
  /** Called with the clicked item's data (a bar, a graph node). */
  onClick?: (data: unknown, dataType: string | undefined) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = init(el.current);
    chart.current = c;
    const resize = () => c.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);
  useEffect(() => {
    const c = chart.current;
    if (!c || !onClick) return;
    const handler = (p: { data?: unknown; dataType?: string }) => onClick(p.data, p.dataType);
    c.on("click", handler);
    return () => {
      c.off("click", handler);
    };
  }, [onClick]);
  return <div ref={el} style={{ width: "100%", height }} data-testid={testId} />;
}
