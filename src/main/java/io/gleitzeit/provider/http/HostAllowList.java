package io.gleitzeit.provider.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * The hosts an {@code http} provider may call: entries {@code host} (any port) or {@code host:port}, host names
 * compared case-insensitively ({@code [::1]:8080} for IPv6 literals). An empty list allows nothing.
 */
public record HostAllowList(List<Entry> entries) {

  /** One allowed host; {@code port} -1 means any port. */
  public record Entry(String host, int port) {
    @Override
    public String toString() {
      return port < 0 ? host : host + ":" + port;
    }
  }

  public static HostAllowList of(List<String> configured) {
    return new HostAllowList(configured.stream().map(HostAllowList::parse).toList());
  }

  static Entry parse(String raw) {
    String s = raw.trim().toLowerCase(Locale.ROOT);
    if (s.isEmpty() || s.contains("/") || s.contains("@")) {
      throw new IllegalArgumentException("http settings: allowed-hosts entry '" + raw
          + "' must be a host name or host:port");
    }
    String host = s;
    String port = null;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("http settings: allowed-hosts entry '" + raw + "' has no closing ']'");
      }
      host = s.substring(0, close + 1);
      if (close + 1 < s.length()) {
        if (s.charAt(close + 1) != ':') {
          throw new IllegalArgumentException("http settings: allowed-hosts entry '" + raw + "' is malformed");
        }
        port = s.substring(close + 2);
      }
    } else if (s.indexOf(':') >= 0) {
      if (s.indexOf(':') != s.lastIndexOf(':')) {
        throw new IllegalArgumentException("http settings: allowed-hosts entry '" + raw
            + "': write IPv6 addresses in brackets, e.g. [::1]:8080");
      }
      host = s.substring(0, s.indexOf(':'));
      port = s.substring(s.indexOf(':') + 1);
    }
    int p = -1;
    if (port != null) {
      try {
        p = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        p = 0;
      }
      if (p < 1 || p > 65535) {
        throw new IllegalArgumentException("http settings: allowed-hosts entry '" + raw + "' has a bad port");
      }
    }
    return new Entry(host, p);
  }

  /** Whether {@code uri} (scheme http or https, checked by the caller) may be called. */
  public boolean allows(URI uri) {
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    int port = uri.getPort() >= 0 ? uri.getPort() : ("https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
    for (Entry e : entries) {
      if (e.host().equals(host) && (e.port() < 0 || e.port() == port)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return entries.toString();
  }
}
