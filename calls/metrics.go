package calls

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the conversation service's Prometheus metrics.
type Metrics struct {
	active prometheus.Gauge
	calls  *prometheus.CounterVec
}

// NewMetrics makes the conversation service's metrics and registers them:
// outcall_calls_active (calls being placed or talked) and
// outcall_calls_total by outcome.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "outcall_calls_active", Help: "Calls being placed or in conversation."}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outcall_calls_total", Help: "Calls that ended, by the call's outcome (answered, transferred, busy, no_answer, voicemail, failed...).",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.active, m.calls} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("call metrics: %w", err)
		}
	}
	return m, nil
}
