package org.sparkconv.engine.optim;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Enum constants as job files name them: the constant in lower case. */
final class TypeNames {

  private TypeNames() {}

  /** The lower-case name of {@code value}. */
  static String of(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** The constant of {@code type} named {@code name}; fails naming {@code setting}. */
  static <E extends Enum<E>> E parse(Class<E> type, String name, String setting) {
    for (E e : type.getEnumConstants()) {
      if (of(e).equals(name)) {
        return e;
      }
    }
    String choices = Arrays.stream(type.getEnumConstants()).map(TypeNames::of)
        .collect(Collectors.joining(", "));
    throw new IllegalArgumentException("setting '" + setting + "' must be one of " + choices
        + ", got '" + name + "'");
  }
}
