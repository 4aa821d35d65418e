#include <gtest/gtest.h>

#include "task/text_rules.h"

using namespace streamrelay::task;

TEST(TextRules, ControlAndBidiCharactersAreHidden) {
  EXPECT_FALSE(has_hidden_characters("caf\xC3\xA9 live \xE4\xB8\xAD"));
  EXPECT_TRUE(has_hidden_characters(std::string("a\0b", 3)));
  EXPECT_TRUE(has_hidden_characters("a\nb"));
  EXPECT_TRUE(has_hidden_characters("a\x7f"));
  EXPECT_TRUE(has_hidden_characters("a\xC2\x85"));           // NEL, a C1 control
  EXPECT_TRUE(has_hidden_characters("key\xE2\x80\xAEgpj"));  // U+202E right-to-left override
  EXPECT_TRUE(has_hidden_characters("a\xE2\x81\xA6"));       // U+2066 left-to-right isolate
  EXPECT_TRUE(has_hidden_characters("a\xE2\x80\xA8"));       // U+2028 line separator
  EXPECT_TRUE(has_hidden_characters("a\xD8\x9C"));           // U+061C Arabic letter mark
  EXPECT_TRUE(has_hidden_characters("a\xFF"));               // not UTF-8
  EXPECT_TRUE(has_hidden_characters("a\xE2\x80"));           // cut short
}

TEST(TextRules, IdentifiersAreOneDocumentedCharacterSet) {
  for (const char* id : {"p1", "my-project", "cn-north-4", "a.b_c", "0a1b2c3d4e5f"}) {
    EXPECT_TRUE(is_valid_identifier(id)) << id;
  }
  for (const char* id : {"", "..", ".", "a..b", ".hidden", "-x", "a b", "a/b", "caf\xC3\xA9"}) {
    EXPECT_FALSE(is_valid_identifier(id)) << id;
  }
  EXPECT_FALSE(is_valid_identifier(std::string("a\0b", 3)));
  EXPECT_TRUE(is_valid_identifier(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_identifier(std::string(65, 'a')));
}
