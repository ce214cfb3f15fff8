#include "support/exact_enumeration.hpp"

#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace dropperc::testing {

int random_elements(const Architecture& arch, const Dropout& dropout) {
  return static_cast<int>((drops_units(dropout.model) ? arch.hidden_units() : 0) +
                          (drops_edges(dropout.model) ? arch.edges() : 0) +
                          (dropout.p_input > 0.0 ? arch.input_width : 0));
}

ExactObservables enumerate_masks(const Architecture& arch, const Dropout& dropout) {
  const int n = random_elements(arch, dropout);
  if (n > 22) throw std::invalid_argument("too many random elements to enumerate");
  ExactObservables exact;
  exact.reachable.resize(arch.layers());
  for (std::uint32_t bits = 0; bits < (std::uint32_t{1} << n); ++bits) {
    Mask mask(arch);
    double weight = 1.0;
    int element = 0;
    // Element order: hidden units, edges in canonical order, input units; bit set = dropped.
    auto decide = [&](double p) {
      const bool dropped = (bits >> element++) & 1u;
      weight *= dropped ? p : 1.0 - p;
      return !dropped;
    };
    if (drops_units(dropout.model)) {
      for (int k = 1; k <= arch.depth(); ++k) {
        for (int i = 0; i < arch.layer_width(k); ++i)
          mask.set_unit(k, i, decide(dropout.site_at(k)));
      }
    }
    if (drops_edges(dropout.model)) {
      for (int g = 0; g < arch.gaps(); ++g) {
        for (int j = 0; j < arch.layer_width(g + 1); ++j) {
          for (int i = 0; i < arch.layer_width(g); ++i)
            mask.set_edge(g, i, j, decide(dropout.bond_at(g)));
        }
      }
    }
    if (dropout.p_input > 0.0) {
      for (int i = 0; i < arch.input_width; ++i)
        mask.set_unit(0, i, decide(dropout.p_input));
    }
    if (weight == 0.0) continue;
    const Observation o = observe(mask);
    exact.directed_spanning.add(weight, o.directed_spanning);
    exact.undirected_spanning.add(weight, o.undirected_spanning);
    exact.extinction_depth.add(weight, o.extinction_depth);
    exact.backbone_units.add(weight, static_cast<double>(o.backbone_units));
    exact.backbone_weights.add(weight, static_cast<double>(o.backbone_weights));
    exact.largest_cluster.add(weight, static_cast<double>(o.largest_cluster));
    exact.mean_other_cluster_size.add(weight, o.mean_other_cluster_size);
    for (int k = 0; k < arch.layers(); ++k)
      exact.reachable[k].add(weight, o.reachable[k]);
  }
  return exact;
}

}  // namespace dropperc::testing
