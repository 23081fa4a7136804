//! Tracing subscriber set-up: human-readable or JSON logs, filtered by `log.level` or
//! `RUST_LOG`, and with the `otel` feature, traces exported over OTLP/HTTP to
//! `log.otlp_endpoint`.
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

use crate::config::LogSettings;

/// Keeps trace export running; dropping it sends the spans still buffered.
#[must_use = "dropping the guard stops trace export"]
pub struct Telemetry {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(p) = self.provider.take() {
            if let Err(e) = p.shutdown() {
                eprintln!("trace export did not finish: {e}");
            }
        }
    }
}

/// Installs the global subscriber once; later calls install nothing (tests call it many
/// times). Settings are validated before, so an endpoint is only set with the feature on.
pub fn init(log: &LogSettings) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    let fmt_layer = if log.format == "json" {
        fmt::layer().json().with_writer(std::io::stderr).boxed()
    } else {
        fmt::layer().with_writer(std::io::stderr).boxed()
    };
    let registry = tracing_subscriber::registry().with(filter).with(fmt_layer);
    #[cfg(feature = "otel")]
    {
        let endpoint = log.otlp_endpoint.trim();
        if !endpoint.is_empty() {
            match otel::provider(endpoint) {
                Ok(provider) => {
                    let layer = otel::layer(&provider);
                    if registry.with(layer).try_init().is_ok() {
                        return Telemetry {
                            provider: Some(provider),
                        };
                    }
                    let _ = provider.shutdown();
                    return Telemetry { provider: None };
                }
                Err(e) => eprintln!("traces will not be exported: {e}"),
            }
        }
    }
    let _ = registry.try_init();
    Telemetry {
        #[cfg(feature = "otel")]
        provider: None,
    }
}

/// OTLP/HTTP export of tracing's spans.
#[cfg(feature = "otel")]
pub mod otel {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{SpanExporter, WithExportConfig};
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use opentelemetry_sdk::Resource;
    use tracing_subscriber::registry::LookupSpan;

    /// The traces URL of a collector's base endpoint (`/v1/traces` added when absent).
    pub fn traces_url(endpoint: &str) -> String {
        let base = endpoint.trim().trim_end_matches('/');
        if base.ends_with("/v1/traces") {
            base.to_owned()
        } else {
            format!("{base}/v1/traces")
        }
    }

    /// A tracer provider that batches spans to the collector (service name `marquee` unless
    /// `OTEL_SERVICE_NAME` says otherwise).
    pub fn provider(endpoint: &str) -> Result<SdkTracerProvider, String> {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(traces_url(endpoint))
            .build()
            .map_err(|e| format!("the OTLP exporter could not be built: {e}"))?;
        let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "marquee".into());
        Ok(SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(Resource::builder().with_service_name(service).build())
            .build())
    }

    /// Makes `span` a child of the caller's trace when the request carries a W3C
    /// `traceparent` header (and `tracestate`), so Marquee's spans join the frontend's trace.
    pub fn continue_trace(span: &tracing::Span, headers: &actix_web::http::header::HeaderMap) {
        use opentelemetry::propagation::TextMapPropagator;
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        struct Headers<'a>(&'a actix_web::http::header::HeaderMap);
        impl opentelemetry::propagation::Extractor for Headers<'_> {
            fn get(&self, key: &str) -> Option<&str> {
                self.0.get(key).and_then(|v| v.to_str().ok())
            }
            fn keys(&self) -> Vec<&str> {
                self.0.keys().map(|k| k.as_str()).collect()
            }
        }
        if !headers.contains_key("traceparent") {
            return;
        }
        let parent = opentelemetry_sdk::propagation::TraceContextPropagator::new()
            .extract(&Headers(headers));
        // Fails only when no OpenTelemetry layer is installed: nothing to join then.
        let _ = span.set_parent(parent);
    }

    /// The tracing layer that hands spans to `provider`.
    pub fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        tracing_opentelemetry::layer().with_tracer(provider.tracer("marquee"))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::io::{Read, Write};
        use std::net::TcpListener;
        use tracing_subscriber::layer::SubscriberExt;

        #[test]
        fn the_base_endpoint_gets_the_traces_path_once() {
            assert_eq!(traces_url("http://c:4318"), "http://c:4318/v1/traces");
            assert_eq!(traces_url("http://c:4318/"), "http://c:4318/v1/traces");
            assert_eq!(
                traces_url("http://c:4318/v1/traces"),
                "http://c:4318/v1/traces"
            );
        }

        /// A collector stand-in receives the request span, named and tagged, as OTLP protobuf.
        #[test]
        fn spans_reach_the_collector_over_otlp_http() {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let endpoint = format!("http://{}", listener.local_addr().unwrap());
            let collector = std::thread::spawn(move || {
                let (mut conn, _) = listener.accept().unwrap();
                conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 8192];
                // Read the head, then as much body as Content-Length says.
                loop {
                    let n = conn.read(&mut buf).unwrap();
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_string();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let len = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if got.len() >= head_end + 4 + len || n == 0 {
                            break;
                        }
                    }
                }
                conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .unwrap();
                got
            });
            let provider = provider(&endpoint).unwrap();
            let subscriber = tracing_subscriber::registry().with(layer(&provider));
            // The caller's trace id, as a frontend's `traceparent` carries it.
            let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
            let mut headers = actix_web::http::header::HeaderMap::new();
            headers.insert(
                actix_web::http::header::HeaderName::from_static("traceparent"),
                actix_web::http::header::HeaderValue::from_str(&format!(
                    "00-{trace_id}-00f067aa0ba902b7-01"
                ))
                .unwrap(),
            );
            tracing::subscriber::with_default(subscriber, || {
                let span = tracing::info_span!("request", request_id = "req-42");
                continue_trace(&span, &headers);
                let _in = span.enter();
                tracing::info!("inside");
            });
            provider.force_flush().unwrap();
            let got = collector.join().unwrap();
            let text = String::from_utf8_lossy(&got);
            assert!(text.starts_with("POST /v1/traces "), "{text}");
            assert!(
                text.to_ascii_lowercase()
                    .contains("content-type: application/x-protobuf"),
                "{text}"
            );
            // Protobuf keeps strings as they are: the span's name, its field and the service.
            for s in ["request", "req-42", "marquee"] {
                assert!(text.contains(s), "{s} not in {text}");
            }
            // Trace ids travel as 16 raw bytes: the span joined the caller's trace.
            let id: Vec<u8> = (0..16)
                .map(|i| u8::from_str_radix(&trace_id[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            assert!(
                got.windows(16).any(|w| w == id.as_slice()),
                "not in the caller's trace"
            );
            provider.shutdown().unwrap();
        }
    }
}
