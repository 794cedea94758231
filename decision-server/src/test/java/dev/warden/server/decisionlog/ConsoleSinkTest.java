package dev.warden.server.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleSinkTest {
  @Test
  void writesEachLineFollowedByANewlineAndLeavesTheStreamOpen() throws Exception {
    var closed = new boolean[1];
    var out = new ByteArrayOutputStream() {
      @Override
      public void close() {
        closed[0] = true;
      }
    };
    ConsoleSink sink = new ConsoleSink(out);

    sink.write(List.of(bytes("{\"a\":1}"), bytes("{\"b\":2}")));
    sink.write(List.of(bytes("{\"c\":3}")));
    sink.flush();

    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    sink.close();
    assertThat(closed[0]).as("the stream was closed").isFalse();
    assertThat(sink.describe()).isEqualTo("console stream");
    assertThat(new ConsoleSink(System.out).describe()).isEqualTo("stdout");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
