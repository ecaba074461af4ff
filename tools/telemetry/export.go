package telemetry

import (
	"context"
	"errors"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// FromEnvironment exports over OTLP/HTTP what the standard variables ask
// for: traces when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and OTEL_TRACES_EXPORTER is
// not "none"), metrics likewise with the _METRICS_ ones; the exporters read
// the rest (headers, protocol, timeouts) themselves. OTEL_SDK_DISABLED=true
// turns both off. With neither, it returns nil: nothing is instrumented.
// The returned stop flushes what is buffered.
func FromEnvironment(ctx context.Context, version string, getenv func(string) string) (*Telemetry, func(context.Context) error, error) {
	noStop := func(context.Context) error { return nil }
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return nil, noStop, nil
	}
	wants := func(signal string) bool {
		return getenv("OTEL_"+strings.ToUpper(signal)+"_EXPORTER") != "none" &&
			(getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_"+strings.ToUpper(signal)+"_ENDPOINT") != "")
	}
	if !wants("traces") && !wants("metrics") {
		return nil, noStop, nil
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", serviceName(getenv)),
		attribute.String("service.version", version)))
	if err != nil {
		return nil, noStop, err
	}
	var tp trace.TracerProvider = tracenoop.NewTracerProvider()
	var mp metric.MeterProvider = metricnoop.NewMeterProvider()
	var stops []func(context.Context) error
	if wants("traces") {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint(getenv, "traces")))
		if err != nil {
			return nil, noStop, err
		}
		p := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		tp, stops = p, append(stops, p.Shutdown)
	}
	if wants("metrics") {
		exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(endpoint(getenv, "metrics")))
		if err != nil {
			return nil, noStop, err
		}
		p := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
		mp, stops = p, append(stops, p.Shutdown)
	}
	t, err := New(tp, mp)
	stop := func(ctx context.Context) error {
		var errs []error
		for _, s := range stops {
			errs = append(errs, s(ctx))
		}
		return errors.Join(errs...)
	}
	return t, stop, err
}

// endpoint is the URL a signal goes to: its own variable, else the
// general one with the signal's path (as the OTLP/HTTP spec puts it).
func endpoint(getenv func(string) string, signal string) string {
	if v := getenv("OTEL_EXPORTER_OTLP_" + strings.ToUpper(signal) + "_ENDPOINT"); v != "" {
		return v
	}
	return strings.TrimRight(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/") + "/v1/" + signal
}

// serviceName is OTEL_SERVICE_NAME, else basiq-mcp.
func serviceName(getenv func(string) string) string {
	if n := getenv("OTEL_SERVICE_NAME"); n != "" {
		return n
	}
	return "basiq-mcp"
}
