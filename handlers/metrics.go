package handlers

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	ticketsCreated prometheus.Counter
	mediaStreams   prometheus.Gauge
	handler        gin.HandlerFunc
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ringdesk_http_requests_total",
			Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ringdesk_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		ticketsCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ringdesk_tickets_created_total",
			Help: "Tickets created (retried submissions not counted).",
		}),
		mediaStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ringdesk_media_streams",
			Help: "Sound-check media sockets open now (Twilio and Vonage).",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.ticketsCreated, m.mediaStreams,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.handler = gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return m, nil
}
