#pragma once
// The run report's page: one self-contained HTML document (inline CSS, inline SVG, images as data
// URIs, no JavaScript). A Content-Security-Policy forbids every network request, so the page opens
// offline and cannot leak anything when opened. Blocks appear in the order they are added;
// consecutive figures share a responsive grid.
#include <string>
#include <string_view>
#include <vector>

#include "tlab/report/plot.h"

namespace tlab::report {

// HTML text and attribute values need exactly XML's escapes.
inline std::string escape_html(std::string_view text) { return escape_xml(text); }

// A number with `digits` decimals, as the report's tables and captions show it ("0.9673").
std::string fixed(double value, int digits = 4);

// Standard base64 (RFC 4648) with '=' padding.
std::string base64(const std::vector<unsigned char>& bytes);

// One thumbnail of an image grid, e.g. a top loss: the image and a few caption lines under it
// ("predicted: cat (0.91)", "actual: dog", "loss: 2.41").
struct GridImage {
  std::vector<unsigned char> bytes;   // an encoded image (PNG, JPEG, ...)
  std::string mime = "image/png";     // its media type; must start with "image/"
  std::string alt;                    // text for screen readers and when the image cannot show
  std::vector<std::string> caption;   // one line each
};

class Page {
 public:
  explicit Page(std::string title);  // the document's <title> and its <h1>

  void heading(const std::string& text, int level = 2);  // <h2>..<h6>; level 1 is the page title
  void paragraph(const std::string& text);
  void preformatted(const std::string& text);
  // Preformatted text folded under a one-line summary (<details>), e.g. a long config.
  void collapsed(const std::string& summary, const std::string& text);  // monospaced, e.g. the run's config or a log tail
  // A chart's SVG inline, with a caption under it.
  void figure(const Figure& fig, const std::string& caption = "");
  // A table; numeric cells are right-aligned. Every row has the headers' length.
  void table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);
  // One image as a data URI, with a caption under it.
  void image(const std::vector<unsigned char>& bytes, const std::string& mime, const std::string& caption,
             const std::string& alt);
  // Thumbnails in a grid, each with its caption lines.
  // `wide`: images twice as wide as high (an input beside its overlay).
  void image_grid(const std::vector<GridImage>& items, bool wide = false);

  std::string render() const;

 private:
  struct Block {
    bool figure;       // consecutive figures are laid out in one grid
    std::string html;
  };
  std::string title_;
  std::vector<Block> blocks_;
};

}  // namespace tlab::report
