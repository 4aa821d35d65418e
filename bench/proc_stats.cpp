#include "proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace streamrelay::bench {

ProcStats read_proc_stats(pid_t pid) {
  ProcStats stats;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  size_t close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> values;
    std::string value;
    while (fields >> value) values.push_back(value);
    // After the name: state is field 3; utime 14, stime 15, num_threads 20 (1-based).
    if (values.size() > 17) {
      double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      stats.cpu_seconds = (std::stod(values[11]) + std::stod(values[12])) / ticks;
      stats.system_seconds = std::stod(values[12]) / ticks;
      stats.threads = std::stoi(values[17]);
    }
  }
  std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps_rollup");
  while (std::getline(smaps, line)) {
    std::istringstream fields(line);
    std::string key;
    double kb = 0;
    fields >> key >> kb;
    if (key == "Pss:") stats.pss_kb = kb;
    if (key == "Private_Clean:" || key == "Private_Dirty:") stats.private_kb += kb;
  }
  return stats;
}

ProcStats sum_proc_stats(const std::vector<pid_t>& pids) {
  ProcStats total;
  for (pid_t pid : pids) {
    ProcStats one = read_proc_stats(pid);
    total.cpu_seconds += one.cpu_seconds;
    total.system_seconds += one.system_seconds;
    total.private_kb += one.private_kb;
    total.pss_kb += one.pss_kb;
    total.threads += one.threads;
  }
  return total;
}

void Table::print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i] + std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

double percentile(std::vector<double> samples, double fraction) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t index = static_cast<size_t>(std::ceil(fraction * static_cast<double>(samples.size()))) - 1;
  return samples[std::min(index, samples.size() - 1)];
}

}  // namespace streamrelay::bench
