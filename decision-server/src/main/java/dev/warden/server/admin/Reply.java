package dev.warden.server.admin;

import java.nio.charset.StandardCharsets;

/** One admin answer before it becomes HTTP: a status, a content type and the whole body. */
record Reply(int status, String contentType, byte[] body, String allow) {
  Reply(int status, String contentType, byte[] body) {
    this(status, contentType, body, null);
  }

  static Reply text(int status, String body) {
    return new Reply(status, "text/plain", body.getBytes(StandardCharsets.UTF_8));
  }
}
