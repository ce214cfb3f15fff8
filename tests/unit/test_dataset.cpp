#include <cmath>
#include <cstdlib>
#include <set>

#include <gtest/gtest.h>

#include "dropperc/core/statistics.hpp"
#include "dropperc/io/h5.hpp"
#include "dropperc/training/dataset.hpp"

namespace dropperc {
namespace {

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::path(::testing::TempDir()) / ("dropperc_dataset_" + name + ".h5");
}

// Writes /X (n x d) with X[s][i] = s + i / 10 and /y = s mod 3, plus whatever `extra` adds.
template <class Extra>
std::filesystem::path write_file(const std::string& name, int n, int d, Extra extra) {
  const auto path = temp_file(name);
  h5::File file = h5::File::create(path);
  h5::Group root = file.root();
  std::vector<float> x;
  std::vector<std::int64_t> y;
  for (int s = 0; s < n; ++s) {
    for (int i = 0; i < d; ++i)
      x.push_back(static_cast<float>(s + i / 10.0));
    y.push_back(s % 3);
  }
  root.write<float>("X", x, {static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(d)});
  root.write<std::int64_t>("y", y);
  extra(root);
  file.close();
  return path;
}

std::string load_error(const std::filesystem::path& path) {
  try {
    load_dataset(path, 0.25, 1);
  } catch (const DatasetError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Dataset, TeacherStudentDependsOnTheSeedAlone) {
  const TeacherSpec spec{LearningTask::classification, 5, 3, 8, 2, 200, 50, 0.0};
  const DataSplit a = teacher_student(spec, 7), b = teacher_student(spec, 7),
                  c = teacher_student(spec, 8);
  EXPECT_EQ(a.train.x, b.train.x);
  EXPECT_EQ(a.test.labels, b.test.labels);
  EXPECT_NE(a.train.x, c.train.x);
  EXPECT_EQ(a.train.size(), 200);
  EXPECT_EQ(a.test.size(), 50);
  EXPECT_EQ(a.train.features(), 5);
  EXPECT_EQ(a.train.outputs(), 3);
  std::set<int> seen(a.train.labels.begin(), a.train.labels.end());
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2}));  // every class occurs
  EXPECT_EQ(a.train.loss(), Loss::cross_entropy);
}

// Regression targets are the teacher's outputs plus N(0, noise^2): the residual variance
// against the noise-free targets matches noise^2 within 4 sigma (sigma^2 = 2 noise^4 / n).
TEST(Dataset, TeacherStudentRegressionNoiseHasItsVariance) {
  TeacherSpec spec{LearningTask::regression, 4, 2, 6, 1, 4000, 10, 0.5};
  const DataSplit noisy = teacher_student(spec, 3);
  spec.noise = 0.0;
  const DataSplit clean = teacher_student(spec, 3);
  EXPECT_EQ(noisy.train.x, clean.train.x);
  const double n = static_cast<double>(noisy.train.targets.size());
  const double variance =
      (noisy.train.targets - clean.train.targets).cast<double>().squaredNorm() / n;
  EXPECT_NEAR(variance, 0.25, 4 * std::sqrt(2 * 0.0625 / n));
  EXPECT_EQ(noisy.train.loss(), Loss::mse);
}

TEST(Dataset, LoadsBothPartsOfAFile) {
  const auto path = write_file("parts", 6, 3, [](h5::Group& root) {
    root.write<float>("X_test", std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
    root.write<std::int64_t>("y_test", std::vector<std::int64_t>{4, 0});
  });
  const DataSplit data = load_dataset(path, 0.5, 1);
  EXPECT_EQ(data.train.size(), 6);
  EXPECT_EQ(data.train.x(2, 4), 4.2f);  // sample 4, feature 2
  EXPECT_EQ(data.train.labels, (std::vector<int>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(data.test.x(1, 1), 5.0f);
  EXPECT_EQ(data.train.classes, 5);  // max label over both parts + 1
  EXPECT_EQ(data.test.classes, 5);
}

// Without a test part, the last round(f n) samples of a seeded shuffle are held out.
TEST(Dataset, HoldsOutASeededFraction) {
  const auto path = write_file("split", 20, 2, [](h5::Group&) {});
  const DataSplit a = load_dataset(path, 0.25, 4), b = load_dataset(path, 0.25, 4);
  EXPECT_EQ(a.train.size(), 15);
  EXPECT_EQ(a.test.size(), 5);
  EXPECT_EQ(a.test.x, b.test.x);
  std::set<float> samples;
  for (const Dataset* part : {&a.train, &a.test}) {
    for (Eigen::Index s = 0; s < part->size(); ++s) {
      samples.insert(part->x(0, s));
      EXPECT_EQ(part->labels[static_cast<std::size_t>(s)], static_cast<int>(part->x(0, s)) % 3);
    }
  }
  EXPECT_EQ(samples.size(), 20u);  // every sample exactly once
  EXPECT_NE(load_dataset(path, 0.25, 5).test.x, a.test.x);
}

TEST(Dataset, LoadsRegressionTargets) {
  const auto path = temp_file("regression");
  {
    h5::File file = h5::File::create(path);
    h5::Group root = file.root();
    root.write<float>("X", std::vector<float>{1, 2, 3, 4}, {4, 1});
    root.write<double>("y", std::vector<double>{0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5}, {4, 2});
    file.close();
  }
  const DataSplit data = load_dataset(path, 0.5, 1);
  EXPECT_EQ(data.train.task, LearningTask::regression);
  EXPECT_EQ(data.train.outputs(), 2);
  for (const Dataset* part : {&data.train, &data.test}) {
    for (Eigen::Index s = 0; s < part->size(); ++s) {
      EXPECT_EQ(part->targets(0, s), 2 * part->x(0, s) - 1.5f);  // row r = x - 1: (2r + 0.5)
    }
  }
}

// Every bad file gives a DatasetError naming the file, the dataset and what is wrong.
TEST(Dataset, RejectsBadFilesNamingTheProblem) {
  struct Case {
    std::string name;
    std::filesystem::path path;
    std::vector<std::string> words;
  };
  const std::vector<Case> cases = {
      {"missing file", temp_file("nowhere"), {"nowhere"}},
      {"nan",
       write_file("nan", 5, 2,
                  [](h5::Group& root) {
                    root.remove("X");
                    root.write<float>(
                        "X", std::vector<float>{1, 2, 3, 4, 5, std::nanf(""), 7, 8, 9, 10}, {5, 2});
                  }),
       {"/X", "row 2", "column 1", "nan"}},
      {"infinity",
       write_file("inf", 5, 2,
                  [](h5::Group& root) {
                    root.remove("y");
                    root.write<float>("y", std::vector<float>{1, 2, INFINITY, 4, 5});
                  }),
       {"/y", "row 2", "inf"}},
      {"negative label",
       write_file("negative", 4, 2,
                  [](h5::Group& root) {
                    root.remove("y");
                    root.write<std::int64_t>("y", std::vector<std::int64_t>{0, 1, -1, 1});
                  }),
       {"/y", "row 2", "-1"}},
      {"rows differ",
       write_file("rows", 4, 2,
                  [](h5::Group& root) {
                    root.remove("y");
                    root.write<std::int64_t>("y", std::vector<std::int64_t>{0, 1, 1});
                  }),
       {"/y", "4", "3"}},
      {"no labels",
       write_file("nolabels", 4, 2, [](h5::Group& root) { root.remove("y"); }),
       {"/y", "missing"}},
      {"flat features",
       write_file("flat", 4, 2,
                  [](h5::Group& root) {
                    root.remove("X");
                    root.write<float>("X", std::vector<float>{1, 2, 3, 4});
                  }),
       {"/X", "n x d"}},
      {"test features differ",
       write_file("testwidth", 4, 2,
                  [](h5::Group& root) {
                    root.write<float>("X_test", std::vector<float>{1, 2, 3}, {1, 3});
                    root.write<std::int64_t>("y_test", std::vector<std::int64_t>{0});
                  }),
       {"/X_test", "3 features"}},
  };
  for (const Case& c : cases) {
    const std::string message = load_error(c.path);
    EXPECT_NE(message.find(c.path.filename().string()), std::string::npos)
        << c.name << ": " << message;
    for (const std::string& word : c.words) {
      EXPECT_NE(message.find(word), std::string::npos) << c.name << ": " << message;
    }
  }
  const auto tiny = write_file("tiny", 1, 1, [](h5::Group&) {});
  EXPECT_NE(load_error(tiny).find("empty part"), std::string::npos) << load_error(tiny);
}

// Every training label equal: nothing to classify, refused naming the file, /y and the label.
TEST(Dataset, RefusesASingleClass) {
  const auto path = write_file("one_class", 40, 3, [](h5::Group& root) {
    root.remove("y");
    root.write<std::int64_t>("y", std::vector<std::int64_t>(40, 2));
  });
  const std::string message = load_error(path);
  EXPECT_NE(message.find(path.string() + ": /y"), std::string::npos) << message;
  EXPECT_NE(message.find("every training label is 2"), std::string::npos) << message;
  EXPECT_NE(message.find("at least two classes"), std::string::npos) << message;
}

// A shape the file never stored (h5py: a chunked 10^9 x 10^9 dataset, no chunk written: a file
// of a few kilobytes) is refused before anything is allocated; so is a real one beyond the memory
// limit.
TEST(Dataset, RefusesHugeDeclaredShapesBeforeReading) {
  const auto huge = temp_file("huge_shape");
  if (std::system("/usr/bin/python3 -c 'import h5py' 2>/dev/null") != 0)
    GTEST_SKIP() << "Debian's python3-h5py is missing (scripts/setup.sh installs it)";
  const std::string script =
      "import h5py, numpy\n"
      "with h5py.File('" +
      huge.string() +
      "', 'w') as f:\n"
      "    f.create_dataset('X', shape=(10**9, 10**9), dtype='f4', chunks=(1, 1024))\n"
      "    f.create_dataset('y', shape=(10**9,), dtype='i8', chunks=(1024,))\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"" + script + "\"").c_str()), 0);
  EXPECT_LT(std::filesystem::file_size(huge), 100000u);
  const std::string message = load_error(huge);
  EXPECT_NE(message.find(huge.string() + ": /X: declares shape 1000000000 x 1000000000"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("stores 0 bytes"), std::string::npos) << message;

  const auto real = write_file("memory_limit", 100, 10, [](h5::Group&) {});
  try {
    load_dataset(real, 0.25, 1, 1000.0);
    ADD_FAILURE() << "a 100 x 10 data set loaded within 1000 bytes";
  } catch (const DatasetError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find(real.string() + ": /X (shape 100 x 10) needs about"), std::string::npos)
        << text;
    EXPECT_NE(text.find("--max-memory"), std::string::npos) << text;
  }
  EXPECT_NO_THROW(load_dataset(real, 0.25, 1));
}

TEST(Dataset, BatchGathersColumnsInOrder) {
  const DataSplit data = teacher_student({LearningTask::regression, 3, 2, 4, 1, 10, 2, 0.1}, 1);
  Matrix<double> x;
  BatchTargets<double> t;
  const std::vector<std::int64_t> indices = {7, 2, 7};
  data.train.batch<double>(indices, x, t);
  ASSERT_EQ(x.cols(), 3);
  EXPECT_EQ(x.col(0), data.train.x.col(7).cast<double>());
  EXPECT_EQ(x.col(1), data.train.x.col(2).cast<double>());
  EXPECT_EQ(t.values.col(2), data.train.targets.col(7).cast<double>());
}

}  // namespace
}  // namespace dropperc
