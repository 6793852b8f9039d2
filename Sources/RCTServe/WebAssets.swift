/// The files of the web page, built into the binary from `Sources/RCTServe/Web` (SwiftPM's
/// `embedInCode` resources): the page needs nothing from the internet, no CDN, no web fonts.
enum WebAsset {
    /// The bytes and media type of the file at `path`, or nil.
    static func named(_ path: String) -> (bytes: [UInt8], type: String)? {
        switch path {
        case "/", "/index.html": (PackageResources.index_html, "text/html; charset=utf-8")
        case "/app.js": (PackageResources.app_js, "text/javascript; charset=utf-8")
        case "/app.css": (PackageResources.app_css, "text/css; charset=utf-8")
        case "/dygraph.min.js": (PackageResources.dygraph_min_js, "text/javascript; charset=utf-8")
        case "/dygraph.min.css": (PackageResources.dygraph_min_css, "text/css; charset=utf-8")
        default: nil
        }
    }
}
