// Package wscprom exposes the wsc library's metrics as a
// prometheus.Collector (github.com/prometheus/client_golang).
//
//	prometheus.MustRegister(wscprom.NewCollector())
//	http.Handle("/metrics", promhttp.Handler())
//
// It is its own module so that the wsc binding itself needs nothing beyond
// the standard library; in this repository it is built and tested against
// Debian's golang-github-prometheus-client-golang-dev (see run_tests.sh).
package wscprom

import (
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"wsc.example/wsc"
)

// Collector reads wsc.MetricsText at each scrape (one snapshot inside the
// library) and hands the families over as constant metrics.
type Collector struct {
	text func() (string, error)
}

// NewCollector collects the metrics of the library's default loop, which
// every wsc.Conn and wsc.Pool runs on.
func NewCollector() *Collector { return &Collector{text: wsc.MetricsText} }

// Describe sends nothing: the metric set depends on the endpoints in use,
// so this is an unchecked collector (see prometheus.Collector).
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect sends every sample of the snapshot; a failed snapshot is reported
// as an invalid metric, which the registry turns into a scrape error.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	text, err := c.text()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(prometheus.NewDesc("wsc_error", "wsc metrics", nil, nil), err)
		return
	}
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(prometheus.NewDesc("wsc_error", "wsc metrics", nil, nil), err)
		return
	}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		send(ch, families[name])
	}
}

func send(ch chan<- prometheus.Metric, f *dto.MetricFamily) {
	for _, m := range f.Metric {
		var labelNames, labelValues []string
		for _, l := range m.Label {
			labelNames = append(labelNames, l.GetName())
			labelValues = append(labelValues, l.GetValue())
		}
		desc := prometheus.NewDesc(f.GetName(), f.GetHelp(), labelNames, nil)
		var metric prometheus.Metric
		var err error
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			metric, err = prometheus.NewConstMetric(desc, prometheus.CounterValue,
				m.GetCounter().GetValue(), labelValues...)
		case dto.MetricType_GAUGE:
			metric, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue,
				m.GetGauge().GetValue(), labelValues...)
		case dto.MetricType_HISTOGRAM:
			h := m.GetHistogram()
			buckets := make(map[float64]uint64, len(h.Bucket))
			for _, b := range h.Bucket {
				buckets[b.GetUpperBound()] = b.GetCumulativeCount()
			}
			metric, err = prometheus.NewConstHistogram(desc, h.GetSampleCount(), h.GetSampleSum(),
				buckets, labelValues...)
		default:
			metric, err = prometheus.NewConstMetric(desc, prometheus.UntypedValue,
				m.GetUntyped().GetValue(), labelValues...)
		}
		if err != nil {
			metric = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- metric
	}
}
