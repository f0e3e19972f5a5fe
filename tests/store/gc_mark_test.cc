// GcMark, the collector's in-memory walk: against hand-made graphs, and
// against a plain fixed-point reachability on random ones. (That it agrees
// with the schema's view gc_reachable_ids on a real catalog is in
// gc_test.cc, TheGraphMatchesTheLabelsAfterRandomChanges.)

#include "store/gc_mark.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace contentstore {
namespace {

using catalog::GcLink;

std::set<int64_t> ReachedAmong(const GcMark& mark, int64_t below) {
  std::set<int64_t> out;
  for (int64_t id = -2; id < below; ++id) {
    if (mark.Reached(id)) out.insert(id);
  }
  return out;
}

TEST(GcMarkTest, NothingIsReachedWithoutRoots) {
  const GcMark mark({}, {{1, 2}, {2, 3}});
  EXPECT_EQ(mark.reached_count(), 0u);
  EXPECT_FALSE(mark.Reached(1));
}

TEST(GcMarkTest, FollowsChainsCyclesAndSelfLinksInAnyOrder) {
  // 1 -> 2 -> 3 -> 1 (a cycle), 3 -> 4, 4 -> 4, 5 -> 6 (unreached), 7 alone
  // and a root without links; duplicates and an unsorted list.
  const GcMark mark({1, 7, 1}, {{4, 4}, {3, 4}, {5, 6}, {3, 1}, {2, 3}, {1, 2}, {1, 2}});
  EXPECT_EQ(ReachedAmong(mark, 10), (std::set<int64_t>{1, 2, 3, 4, 7}));
  EXPECT_EQ(mark.reached_count(), 5u);
}

TEST(GcMarkTest, AChildThatIsNoBlobIsReachedButLeadsNowhere) {
  // A label may name a digest that is not committed: its node is reached
  // (gc_reachable lists it) and has no links of its own.
  const GcMark mark({10}, {{10, 99}, {98, 97}});
  EXPECT_EQ(ReachedAmong(mark, 100), (std::set<int64_t>{10, 99}));
}

TEST(GcMarkTest, NumbersFarApartOrNegativeGiveTheSameAnswer) {
  // Rows written by hand can carry any integer: the walk then keeps a hash
  // set instead of arrays indexed by number.
  const int64_t far = int64_t{1} << 60;
  const GcMark mark({far, -5}, {{far, 3}, {3, -7}, {-5, far - 1}, {8, 9}});
  EXPECT_TRUE(mark.Reached(far));
  EXPECT_TRUE(mark.Reached(far - 1));
  EXPECT_TRUE(mark.Reached(3));
  EXPECT_TRUE(mark.Reached(-7));
  EXPECT_TRUE(mark.Reached(-5));
  EXPECT_FALSE(mark.Reached(8));
  EXPECT_FALSE(mark.Reached(9));
  EXPECT_EQ(mark.reached_count(), 5u);
}

TEST(GcMarkTest, AgreesWithAFixedPointOnRandomGraphs) {
  std::mt19937 rng(12);
  for (int round = 0; round < 50; ++round) {
    const int nodes = 1 + int(rng() % 300);
    std::vector<GcLink> links;
    for (int i = int(rng() % (3 * nodes)); i > 0; --i) {
      links.push_back({1 + int64_t(rng() % nodes), 1 + int64_t(rng() % nodes)});
    }
    std::vector<int64_t> roots;
    for (int i = int(rng() % 5); i > 0; --i) roots.push_back(1 + int64_t(rng() % nodes));
    std::set<int64_t> expected(roots.begin(), roots.end());
    for (bool grew = true; grew;) {
      grew = false;
      for (const GcLink& l : links) {
        if (expected.count(l.parent) && expected.insert(l.child).second) grew = true;
      }
    }
    std::shuffle(links.begin(), links.end(), rng);
    const GcMark mark(roots, links);
    EXPECT_EQ(ReachedAmong(mark, nodes + 1), expected) << "round " << round;
    EXPECT_EQ(mark.reached_count(), expected.size());
    // The same graph with every number moved far up (the hash set's walk).
    const int64_t shift = int64_t{1} << 50;
    for (GcLink& l : links) l = {l.parent + shift, l.child + shift};
    for (int64_t& r : roots) r += shift;
    const GcMark moved(roots, links);
    EXPECT_EQ(moved.reached_count(), expected.size()) << "round " << round;
    for (int64_t id : expected) EXPECT_TRUE(moved.Reached(id + shift)) << "round " << round;
  }
}

}  // namespace
}  // namespace contentstore
