// Links dropperc::core from an installed prefix and checks two exact results of docs/theory.md:
// the site closed form theta = (1 - p^W)^L (§2) and, for one unit per layer, the bond chain's
// theta = (1 - p)^(L + 1) (§3: every one of the L + 1 edges must survive).
#include <cmath>
#include <cstdio>

#include "dropperc/core/theory.hpp"

int main() {
  using namespace dropperc;
  const double site =
      spanning_probability(Architecture::uniform(2, 3), Dropout::of(DropoutModel::site, 0.5)).theta;
  const double bond =
      spanning_probability(Architecture::uniform(1, 4), Dropout::of(DropoutModel::bond, 0.25))
          .theta;
  const double site_exact = std::pow(1 - 0.25, 3);
  const double bond_exact = std::pow(0.75, 5);
  std::printf("site %.17g (exact %.17g), bond %.17g (exact %.17g)\n", site, site_exact, bond,
              bond_exact);
  const bool ok = std::abs(site - site_exact) <= 1e-15 && std::abs(bond - bond_exact) <= 1e-15;
  return ok ? 0 : 1;
}
