// The reports screen's charts: the common Chart with ECharts' heatmap and
// funnel added, loaded only when the reports screen opens.
import { FunnelChart, HeatmapChart } from "echarts/charts";
import { VisualMapComponent } from "echarts/components";
import { use } from "echarts/core";
import Chart from "../components/Chart";

use([HeatmapChart, FunnelChart, VisualMapComponent]);

export default Chart;
