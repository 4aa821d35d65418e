#include "observe/metrics.h"

#include <fmt/format.h>

#include <cmath>

namespace streamrelay::observe {
namespace {

std::string escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string render_labels(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    out += (out.empty() ? "" : ",") + name + "=\"" + escape(value) + "\"";
  }
  return out;
}

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:.9g}", value);
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string series(const std::string& name, const std::string& labels) {
  return labels.empty() ? name : name + "{" + labels + "}";
}

}  // namespace

void Counter::add(const Labels& labels, double amount) {
  std::lock_guard lock(mutex_);
  series_[render_labels(labels)] += amount;
}

double Counter::value(const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto found = series_.find(render_labels(labels));
  return found == series_.end() ? 0 : found->second;
}

void Counter::render(std::string& out) {
  std::lock_guard lock(mutex_);
  header(out, name_, help_, "counter");
  for (const auto& [labels, value] : series_) {
    out += series(name_, labels) + " " + number(value) + "\n";
  }
}

void FastCounter::render(std::string& out) const {
  header(out, name_, help_, "counter");
  out += name_ + " " + std::to_string(value()) + "\n";
}

void Histogram::observe(const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  Series& s = series_[render_labels(labels)];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) ++s.buckets[i];
  }
  s.sum += value;
  ++s.count;
}

uint64_t Histogram::count(const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto found = series_.find(render_labels(labels));
  return found == series_.end() ? 0 : found->second.count;
}

void Histogram::render(std::string& out) {
  std::lock_guard lock(mutex_);
  header(out, name_, help_, "histogram");
  for (const auto& [labels, s] : series_) {
    std::string prefix = labels.empty() ? "" : labels + ",";
    for (size_t i = 0; i < bounds_.size(); ++i) {
      out += name_ + "_bucket{" + prefix + "le=\"" + number(bounds_[i]) + "\"} " +
             std::to_string(s.buckets[i]) + "\n";
    }
    out += name_ + "_bucket{" + prefix + "le=\"+Inf\"} " + std::to_string(s.count) + "\n";
    out += series(name_ + "_sum", labels) + " " + number(s.sum) + "\n";
    out += series(name_ + "_count", labels) + " " + std::to_string(s.count) + "\n";
  }
}

void Metrics::add_gauges(std::function<std::vector<GaugeSample>()> source) {
  std::lock_guard lock(mutex_);
  gauge_sources_.push_back(std::move(source));
}

std::string Metrics::render() {
  std::string out;
  std::vector<std::function<std::vector<GaugeSample>()>> sources;
  {
    std::lock_guard lock(mutex_);
    sources = gauge_sources_;
  }
  // Samples of one gauge are grouped under one header, as the format asks.
  std::map<std::string, std::pair<std::string, std::string>> gauges;  // name -> help, lines
  for (const auto& source : sources) {
    for (const GaugeSample& sample : source()) {
      auto& [help, lines] = gauges[sample.name];
      help = sample.help;
      lines +=
          series(sample.name, render_labels(sample.labels)) + " " + number(sample.value) + "\n";
    }
  }
  for (const auto& [name, gauge] : gauges) {
    header(out, name, gauge.first, "gauge");
    out += gauge.second;
  }
  api_requests.render(out);
  api_latency.render(out);
  store_latency.render(out);
  bytes_in.render(out);
  bytes_out.render(out);
  reconnects.render(out);
  failovers.render(out);
  callbacks.render(out);
  http_refusals.render(out);
  return out;
}

Metrics& metrics() {
  static Metrics instance;
  return instance;
}

}  // namespace streamrelay::observe
