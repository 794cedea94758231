package dev.warden.policy.load;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One data file of a bundle, read: the data document `data.NAME`.
 *
 * @param path where it is in the bundle
 * @param name the document name
 * @param yaml whether it is YAML rather than JSON
 * @param json its content, or null when it could not be read (the load stage reported why)
 */
public record DataFile(String path, String name, boolean yaml, JsonNode json) {
  public boolean readable() {
    return json != null;
  }
}
