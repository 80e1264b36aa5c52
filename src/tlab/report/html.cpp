#include "tlab/report/html.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "tlab/core/error.h"

namespace tlab::report {
namespace {

// Readable on a laptop and a phone: figures tile in as many columns as fit, each shown at its own
// size (so every chart's text has the same size) and shrunk only on narrow screens.
const char* const kStyle = R"css(
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       background: #f7f7f7; margin: 0; }
main { max-width: 1360px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3, h4, h5, h6 { font-size: 16px; margin: 20px 0 6px; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 500px), 1fr));
           gap: 16px; margin: 12px 0; align-items: start; }
figure { margin: 0; background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 8px; }
figure > svg, figure > img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { font-size: 13px; color: #555; margin-top: 6px; }
.table { overflow-x: auto; }
table { border-collapse: collapse; background: #fff; margin: 12px 0; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #fff; border: 1px solid #e2e2e2; padding: 10px; overflow: auto; font-size: 13px; }
.thumbs { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 10px; margin: 12px 0; }
.thumbs figure { padding: 6px; }
.thumbs img { width: 100%; aspect-ratio: 1 / 1; object-fit: contain; background: #eee; }
.thumbs.wide { grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); }
.thumbs.wide img { aspect-ratio: 2 / 1; }
details summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
.thumbs figcaption { font-size: 12px; line-height: 1.35; color: #333; }
)css";

// A number, possibly with a trailing '%': right-aligned in tables so digits line up.
bool numeric(const std::string& s) {
  if (s.empty()) return false;
  const std::string t = s.back() == '%' ? s.substr(0, s.size() - 1) : s;
  char* end = nullptr;
  std::strtod(t.c_str(), &end);
  return !t.empty() && end == t.c_str() + t.size();
}

std::string data_uri(const std::vector<unsigned char>& bytes, const std::string& mime) {
  TLAB_CHECK(mime.rfind("image/", 0) == 0 && mime.find_first_of("\"'<>& ;") == std::string::npos,
             "report page: an image's media type must be image/..., got '", mime, "'");
  return "data:" + mime + ";base64," + base64(bytes);
}

std::string img_tag(const std::vector<unsigned char>& bytes, const std::string& mime, const std::string& alt) {
  return "<img src=\"" + data_uri(bytes, mime) + "\" alt=\"" + escape_html(alt) + "\">";
}

std::string caption(const std::string& text) {
  return text.empty() ? "" : "<figcaption>" + escape_html(text) + "</figcaption>";
}

}  // namespace

std::string base64(const std::vector<unsigned char>& bytes) {
  static const char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    unsigned v = bytes[i] << 16;
    if (n > 1) v |= bytes[i + 1] << 8;
    if (n > 2) v |= bytes[i + 2];
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kDigits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

Page::Page(std::string title) : title_(std::move(title)) {}

void Page::heading(const std::string& text, int level) {
  TLAB_CHECK(level >= 2 && level <= 6, "report page: heading level is 2 to 6 (1 is the page title), got ", level);
  const std::string tag = "h" + std::to_string(level);
  blocks_.push_back({false, "<" + tag + ">" + escape_html(text) + "</" + tag + ">"});
}

void Page::paragraph(const std::string& text) { blocks_.push_back({false, "<p>" + escape_html(text) + "</p>"}); }

void Page::preformatted(const std::string& text) {
  blocks_.push_back({false, "<pre>" + escape_html(text) + "</pre>"});
}

void Page::figure(const Figure& fig, const std::string& text) {
  // Inside HTML the parser puts <svg> in the SVG namespace itself; dropping the declaration keeps
  // the page free of any URL.
  std::string svg = fig.svg;
  const std::string ns = " xmlns=\"http://www.w3.org/2000/svg\"";
  if (const size_t at = svg.find(ns); at != std::string::npos) svg.erase(at, ns.size());
  blocks_.push_back({true, "<figure>" + svg + caption(text) + "</figure>"});
}

void Page::image(const std::vector<unsigned char>& bytes, const std::string& mime, const std::string& text,
                 const std::string& alt) {
  blocks_.push_back({true, "<figure>" + img_tag(bytes, mime, alt) + caption(text) + "</figure>"});
}

std::string fixed(double value, int digits) {
  std::ostringstream s;
  s.precision(digits);
  s << std::fixed << value;
  return s.str();
}

void Page::collapsed(const std::string& summary, const std::string& text) {
  blocks_.push_back({false, "<details><summary>" + escape_html(summary) + "</summary><pre>" + escape_html(text) +
                                "</pre></details>"});
}

void Page::image_grid(const std::vector<GridImage>& items, bool wide) {
  std::string html = wide ? "<div class=\"thumbs wide\">" : "<div class=\"thumbs\">";
  for (const GridImage& it : items) {
    html += "<figure>" + img_tag(it.bytes, it.mime, it.alt) + "<figcaption>";
    for (size_t i = 0; i < it.caption.size(); ++i) html += (i ? "<br>" : "") + escape_html(it.caption[i]);
    html += "</figcaption></figure>";
  }
  blocks_.push_back({false, html + "</div>"});
}

void Page::table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::string html = "<div class=\"table\"><table>\n<thead><tr>";
  for (const std::string& h : headers) html += "<th>" + escape_html(h) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    TLAB_CHECK(rows[r].size() == headers.size(), "report page: table row ", r, " has ", rows[r].size(),
               " cells, the headers ", headers.size());
    html += "<tr>";
    for (const std::string& cell : rows[r])
      html += (numeric(cell) ? "<td class=\"num\">" : "<td>") + escape_html(cell) + "</td>";
    html += "</tr>\n";
  }
  blocks_.push_back({false, html + "</tbody></table></div>"});
}

std::string Page::render() const {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // No request of any kind leaves the page: images are data URIs, styles inline, no scripts.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
         "style-src 'unsafe-inline'\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + escape_html(title_) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  out += "<h1>" + escape_html(title_) + "</h1>\n";
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const bool opens = blocks_[i].figure && (i == 0 || !blocks_[i - 1].figure);
    const bool closes = blocks_[i].figure && (i + 1 == blocks_.size() || !blocks_[i + 1].figure);
    if (opens) out += "<div class=\"figures\">\n";
    out += blocks_[i].html + "\n";
    if (closes) out += "</div>\n";
  }
  return out + "</main>\n</body>\n</html>\n";
}

}  // namespace tlab::report
