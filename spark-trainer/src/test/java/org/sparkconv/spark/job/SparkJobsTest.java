package org.sparkconv.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The configuration every job starts from: our defaults, and the user's settings over them. */
class SparkJobsTest {

  @Test
  void defaultsAreKryoWithRegistrationAndDirectResultsUpTo64Mb() {
    SparkConf conf = SparkJobs.conf("t", "local[1]", List.of());
    assertEquals("org.apache.spark.serializer.KryoSerializer", conf.get("spark.serializer"));
    assertEquals("true", conf.get("spark.kryo.registrationRequired"));
    assertEquals("64m", conf.get("spark.task.maxDirectResultSize"));
    assertEquals("local[1]", conf.get("spark.master"));
  }

  @Test
  void userSettingsWinAndMalformedOnesAreNamed() {
    SparkConf conf = SparkJobs.conf("t", null,
        List.of("spark.task.maxDirectResultSize=2m", "spark.ui.enabled=false"));
    assertEquals("2m", conf.get("spark.task.maxDirectResultSize"));
    assertEquals("false", conf.get("spark.ui.enabled"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SparkJobs.conf("t", null, List.of("spark.ui.enabled")));
    assertTrue(e.getMessage().contains("spark.ui.enabled"), e.getMessage());
  }
}
