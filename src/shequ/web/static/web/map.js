/* Maps: each [data-map] element draws the GeoJSON of the <script type="application/json"
   id=data-source> the page embeds (Django's json_script) with Leaflet. No tile URL: the
   features alone on a plain background (works offline); data-tiles adds a tile layer. The
   server has already moved the coordinates to the tiles' datum (GCJ-02 for AMap/Tencent).
   Feature properties: kind (estate, garage, area, reach), label, tone (good, over, none). */
(function () {
  "use strict";

  var COLORS = { estate: "#c8102e", garage: "#1b6ec2", good: "#1b7f3b", over: "#c8102e", none: "#6b7785" };

  function color(props) {
    return COLORS[props.tone] || COLORS[props.kind] || COLORS.none;
  }

  function pointStyle(props) {
    return { radius: props.kind === "estate" ? 9 : 7, weight: 2, color: "#fff",
             fillColor: color(props), fillOpacity: 0.95 };
  }

  function marker(feature, latlng) {
    return L.circleMarker(latlng, pointStyle(feature.properties || {}));
  }

  // Leaflet applies ``style`` to circle markers too: points keep their own.
  function style(feature) {
    var props = feature.properties || {};
    if (feature.geometry && feature.geometry.type === "Point") return pointStyle(props);
    return { color: props.kind === "reach" ? "#1b6ec2" : "#6b7785", weight: 1.5,
             dashArray: props.kind === "reach" ? "4 4" : null, fillOpacity: 0.06 };
  }

  // Labels stay shown on a wide map; on a phone only the estate's does (tap a garage for its).
  function labeller(wide) {
    return function (feature, layer) {
      var props = feature.properties || {};
      if (!props.label) return;
      layer.bindTooltip(props.label, {
        permanent: props.kind === "estate" || (wide && props.permanent === true),
        direction: "top", offset: [0, -8], className: "map-label"
      });
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var tiles = el.getAttribute("data-tiles");
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: Boolean(tiles), zoomSnap: 0.25 });
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    }
    var layer = L.geoJSON(data, { pointToLayer: marker, style: style, onEachFeature: labeller(el.clientWidth >= 500) }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      // Room at the sides for the labels, which sit above their points.
      var side = Math.min(120, Math.round(el.clientWidth / 4));
      map.fitBounds(bounds, { padding: [side, 36], maxZoom: 17 });
    } else {
      map.setView([30, 120], 12);
    }
    el.setAttribute("data-map-ready", String(data.features.length));
  }

  function start() {
    var maps = document.querySelectorAll("[data-map]");
    for (var i = 0; i < maps.length; i++) draw(maps[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
