module wsc.example/wsc/wscprom

go 1.19

require (
	github.com/prometheus/client_golang v1.14.0
	github.com/prometheus/client_model v0.3.0
	github.com/prometheus/common v0.39.0
	wsc.example/wsc v0.0.0
)

replace wsc.example/wsc => ../
