#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace streamrelay::observe {

// Label pairs of one series, in the order given: {{"route", "list"}, {"code", "200"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonic count, by label set.
class Counter {
 public:
  Counter(std::string name, std::string help) : name_(std::move(name)), help_(std::move(help)) {}
  void add(const Labels& labels, double amount = 1);
  void render(std::string& out);
  double value(const Labels& labels);

 private:
  std::string name_;
  std::string help_;
  std::mutex mutex_;
  std::map<std::string, double> series_;  // rendered labels -> count
};

// A count that hot paths bump without a lock (bytes moved by every relay).
class FastCounter {
 public:
  FastCounter(std::string name, std::string help)
      : name_(std::move(name)), help_(std::move(help)) {}
  void add(int64_t amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }
  void render(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  std::atomic<int64_t> value_{0};
};

// Observations in cumulative buckets (seconds), by label set.
class Histogram {
 public:
  Histogram(std::string name, std::string help, std::vector<double> bounds)
      : name_(std::move(name)), help_(std::move(help)), bounds_(std::move(bounds)) {}
  void observe(const Labels& labels, double value);
  void render(std::string& out);
  uint64_t count(const Labels& labels);

 private:
  struct Series {
    std::vector<uint64_t> buckets;
    double sum = 0;
    uint64_t count = 0;
  };
  std::string name_;
  std::string help_;
  std::vector<double> bounds_;
  std::mutex mutex_;
  std::map<std::string, Series> series_;
};

// A value read when scraped.
struct GaugeSample {
  std::string name;
  std::string help;
  Labels labels;
  double value = 0;
};

// Every metric of the process, rendered in the Prometheus text format. Written by hand:
// Debian packages no Prometheus client library for C++.
class Metrics {
 public:
  Counter api_requests{"streamrelay_api_requests_total", "API requests by route and HTTP status"};
  Histogram api_latency{"streamrelay_api_request_duration_seconds",
                        "API request latency by route",
                        {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  Histogram store_latency{
      "streamrelay_store_operation_duration_seconds",
      "store call latency by operation",
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  FastCounter bytes_in{"streamrelay_relay_bytes_in_total", "bytes read from sources"};
  FastCounter bytes_out{"streamrelay_relay_bytes_out_total",
                        "bytes written to destinations (slate included)"};
  FastCounter reconnects{"streamrelay_relay_reconnects_total", "source and destination reconnects"};
  Counter failovers{"streamrelay_relay_failovers_total",
                    "switches between primary and standby sources, by direction"};
  Counter callbacks{"streamrelay_callback_deliveries_total",
                    "callback delivery attempts by result (delivered, failed, expired)"};
  Counter http_refusals{"streamrelay_http_refused_total",
                        "HTTP connections and requests refused by a limit, by reason"};

  // Gauges (tasks by status, relays running, callback backlog) come from their owners.
  void add_gauges(std::function<std::vector<GaugeSample>()> source);
  std::string render();

 private:
  std::mutex mutex_;
  std::vector<std::function<std::vector<GaugeSample>()>> gauge_sources_;
};

// The process's metrics: counters are process-wide by nature, and every layer may count.
Metrics& metrics();

}  // namespace streamrelay::observe
