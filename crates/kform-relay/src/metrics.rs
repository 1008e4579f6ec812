//! Prometheus metrics in the text format: submissions by form and outcome, kintone requests by
//! endpoint and status with their latency, and HTTP requests by route.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (bound, count) in BUCKETS.iter().zip(self.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Registry {
    submissions: BTreeMap<(String, &'static str), u64>,
    mails: BTreeMap<(String, &'static str), u64>,
    kintone_requests: BTreeMap<(String, String), u64>,
    kintone_latency: BTreeMap<String, Histogram>,
    http_requests: BTreeMap<(String, u16), u64>,
    http_latency: BTreeMap<String, Histogram>,
}

/// The relay's counters, shared by every request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Metrics {
    registry: Arc<Mutex<Registry>>,
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        // Counters stay meaningful whatever panicked while one was held.
        f(&mut self.registry.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Counts a submission of `form` ending in `outcome` (`delivered`, `invalid`, `spam`, …).
    pub(crate) fn submission(&self, form: &str, outcome: &'static str) {
        self.with(|r| *r.submissions.entry((form.to_owned(), outcome)).or_default() += 1);
    }

    /// Counts a mail of `form` ending in `outcome` (`sent`, `failed`, `limited`).
    pub(crate) fn mail(&self, form: &str, outcome: &'static str) {
        self.with(|r| *r.mails.entry((form.to_owned(), outcome)).or_default() += 1);
    }

    /// Counts a kintone call; `status` is `None` when no answer arrived.
    pub(crate) fn kintone(&self, method: &str, api: &str, status: Option<u16>, elapsed: Duration) {
        let endpoint = format!("{method} {api}");
        let status = status.map_or_else(|| "none".to_owned(), |status| status.to_string());
        self.with(|r| {
            *r.kintone_requests.entry((endpoint.clone(), status)).or_default() += 1;
            r.kintone_latency.entry(endpoint).or_default().observe(elapsed);
        });
    }

    /// Counts an HTTP request to the relay on `route` (the matched path pattern).
    pub(crate) fn http(&self, route: &str, status: u16, elapsed: Duration) {
        self.with(|r| {
            *r.http_requests.entry((route.to_owned(), status)).or_default() += 1;
            r.http_latency.entry(route.to_owned()).or_default().observe(elapsed);
        });
    }

    /// Everything, in Prometheus's text exposition format.
    pub(crate) fn render(&self) -> String {
        self.with(|r| {
            let mut out = String::new();
            out.push_str("# HELP kform_submissions_total Submissions by form and outcome.\n");
            out.push_str("# TYPE kform_submissions_total counter\n");
            for ((form, outcome), count) in &r.submissions {
                let _ = writeln!(
                    out,
                    "kform_submissions_total{{form=\"{}\",outcome=\"{outcome}\"}} {count}",
                    escape(form)
                );
            }
            out.push_str(
                "# HELP kform_mails_total Auto-replies and team notices by form and outcome.\n",
            );
            out.push_str("# TYPE kform_mails_total counter\n");
            for ((form, outcome), count) in &r.mails {
                let _ = writeln!(
                    out,
                    "kform_mails_total{{form=\"{}\",outcome=\"{outcome}\"}} {count}",
                    escape(form)
                );
            }
            out.push_str(
                "# HELP kform_kintone_requests_total kintone calls by endpoint and status.\n",
            );
            out.push_str("# TYPE kform_kintone_requests_total counter\n");
            for ((endpoint, status), count) in &r.kintone_requests {
                let _ = writeln!(
                    out,
                    "kform_kintone_requests_total{{endpoint=\"{}\",status=\"{status}\"}} {count}",
                    escape(endpoint)
                );
            }
            out.push_str("# HELP kform_kintone_request_duration_seconds kintone call latency.\n");
            out.push_str("# TYPE kform_kintone_request_duration_seconds histogram\n");
            for (endpoint, histogram) in &r.kintone_latency {
                let labels = format!("endpoint=\"{}\"", escape(endpoint));
                histogram.render(&mut out, "kform_kintone_request_duration_seconds", &labels);
            }
            out.push_str("# HELP kform_http_requests_total Relay requests by route and status.\n");
            out.push_str("# TYPE kform_http_requests_total counter\n");
            for ((route, status), count) in &r.http_requests {
                let _ = writeln!(
                    out,
                    "kform_http_requests_total{{route=\"{}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
            out.push_str("# HELP kform_http_request_duration_seconds Relay request latency.\n");
            out.push_str("# TYPE kform_http_request_duration_seconds histogram\n");
            for (route, histogram) in &r.http_latency {
                let labels = format!("route=\"{}\"", escape(route));
                histogram.render(&mut out, "kform_http_request_duration_seconds", &labels);
            }
            out
        })
    }
}

/// Escapes a label value.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Metrics;

    #[test]
    fn renders_counters_and_histograms() {
        let metrics = Metrics::default();
        metrics.submission("contact", "delivered");
        metrics.submission("contact", "delivered");
        metrics.kintone("POST", "record.json", Some(200), Duration::from_millis(30));
        metrics.kintone("POST", "record.json", None, Duration::from_secs(40));
        let text = metrics.render();
        assert!(
            text.contains("kform_submissions_total{form=\"contact\",outcome=\"delivered\"} 2\n")
        );
        assert!(text.contains(
            "kform_kintone_requests_total{endpoint=\"POST record.json\",status=\"none\"} 1\n"
        ));
        assert!(text.contains("kform_kintone_request_duration_seconds_bucket{endpoint=\"POST record.json\",le=\"0.05\"} 1\n"));
        assert!(text.contains("kform_kintone_request_duration_seconds_bucket{endpoint=\"POST record.json\",le=\"+Inf\"} 2\n"));
    }
}
