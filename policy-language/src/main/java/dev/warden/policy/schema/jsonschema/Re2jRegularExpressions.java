package dev.warden.policy.schema.jsonschema;

import com.google.re2j.Pattern;
import com.networknt.schema.regex.RegularExpression;
import com.networknt.schema.regex.RegularExpressionFactory;

/**
 * The regular expressions of JSON Schema's `pattern` and `patternProperties`, run by re2j: time
 * linear in the length of the string, whatever the pattern, so a hostile body cannot make a
 * pattern backtrack. JSON Schema patterns are not anchored: a string matches when the pattern
 * matches some part of it ({@code find}), as ECMA-262's {@code RegExp.test} does. Patterns RE2
 * cannot run (back-references, look-around) are refused when the schema is compiled, by
 * {@link SchemaDocuments}, with the file and the JSON pointer; this factory throws
 * {@link com.google.re2j.PatternSyntaxException} for them.
 */
final class Re2jRegularExpressions implements RegularExpressionFactory {
  static final Re2jRegularExpressions INSTANCE = new Re2jRegularExpressions();

  private Re2jRegularExpressions() {}

  @Override
  public RegularExpression getRegularExpression(String regex) {
    Pattern pattern = Pattern.compile(regex);
    return value -> pattern.matcher(value).find();
  }
}
