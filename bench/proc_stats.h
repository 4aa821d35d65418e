#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace streamrelay::bench {

// What /proc says about a process.
struct ProcStats {
  double cpu_seconds = 0;     // user + system
  double system_seconds = 0;  // in the kernel, for the process
  double private_kb = 0;      // Private_Clean + Private_Dirty (smaps_rollup)
  double pss_kb = 0;
  int threads = 0;
};

ProcStats read_proc_stats(pid_t pid);
ProcStats sum_proc_stats(const std::vector<pid_t>& pids);

// A table printed with aligned columns.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string fixed(double value, int decimals);

// Median and 95th percentile of samples.
double percentile(std::vector<double> samples, double fraction);

}  // namespace streamrelay::bench
