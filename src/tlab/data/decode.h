#pragma once
// Image decoding: the one function that turns an image file (or its bytes) into pixels, for every
// dataset, the CLI and the server. It reads the size from the file header first (a decompression
// bomb is refused before any pixel is decoded), can decode large JPEGs at 1/2, 1/4 or 1/8 scale in
// the DCT domain (libjpeg-turbo's scaled decode) when the caller needs far fewer pixels, honours the
// EXIF orientation of JPEGs, and returns uint8 RGB or grey.
#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tlab::data {

// PIL's DecompressionBombError threshold, 2 * Image.MAX_IMAGE_PIXELS (1024^3 / 4 / 3 = 89,478,485, where
// PIL only warns): torchvision's loader refuses images over it, so whatever torchvision reads, we read
// too. It is about 13,377 x 13,377 pixels, ~537 MB decoded as RGB; photos, even from a 100-megapixel
// camera, stay under it, while a few-kilobyte PNG that claims 30,000 x 30,000 does not.
inline constexpr int64_t kDefaultMaxImagePixels = 178956970;

struct DecodeOptions {
  int channels = 3;  // 3: RGB (in that order); 1: grey. Alpha is dropped, 16-bit samples become 8-bit.
  int min_side = 0;  // > 0: the caller needs a shorter side of at least this many pixels, so a JPEG
                     // whose shorter side is >= 2x (4x, 8x) min_side is decoded at 1/2 (1/4, 1/8)
                     // scale: the largest factor f with floor(shorter / f) >= min_side. libjpeg-turbo
                     // scales in the DCT domain (output ceil(size / f)), several times faster than a
                     // full decode. Other formats are decoded in full and shrunk by the same rule
                     // with INTER_AREA (output floor(size / f)). 0: always full size.
  int64_t max_pixels = kDefaultMaxImagePixels;  // width * height over this is a DataError, checked
                     // from the file header before decoding (on the stored size, before any reduction);
                     // 0 disables the check (OpenCV's own limit, 2^30 pixels, still applies).
};

enum class ImageFormat { kJpeg, kPng, kGif, kBmp, kWebp, kTiff, kPnm };

// "jpeg", "png", "gif", "bmp", "webp", "tiff", "pnm".
const char* format_name(ImageFormat format);

// The size an image file declares in its header (before EXIF rotation).
struct ImageHeader {
  ImageFormat format;
  int64_t width = 0;
  int64_t height = 0;
};

// Reads the format and size from the first bytes of an image file without decoding it: JPEG (the
// SOFn segment, found by walking the marker segments), PNG (IHDR), GIF (logical screen), BMP
// (BITMAPINFOHEADER and the OS/2 core header), WebP (VP8, VP8L and VP8X), TIFF (first IFD, classic
// TIFF) and PNM (P1-P6). Returns nullopt for other formats and for headers that are truncated or
// malformed. Never reads outside [data, data + size); safe on arbitrary bytes.
std::optional<ImageHeader> read_image_header(const uint8_t* data, size_t size);

// Decodes the image file at `path` to uint8 HxWx3 RGB or HxWx1 grey (options.channels). Throws
// DataError naming the file when it cannot be read or decoded, or when it is over options.max_pixels;
// UsageError for bad options.
cv::Mat decode_image(const std::string& path, const DecodeOptions& options = {});

// The same for an encoded image in memory (an HTTP upload); `name` identifies it in error messages.
cv::Mat decode_image(const uint8_t* data, size_t size, const std::string& name, const DecodeOptions& options = {});

}  // namespace tlab::data
