/* A point's place on the village's own map: a click sets the latitude and longitude fields
   (WGS-84, 6 decimals ≈ 0.1 m), typing them moves the marker. Works offline (no tiles). */
(function () {
  "use strict";

  var BASE = {
    boundary: { color: "#8a94a0", weight: 1, dashArray: "3 4", fillColor: "#ffffff", fillOpacity: 0.55 },
    road: { color: "#b9ad97", weight: 5, opacity: 1 },
    railway: { color: "#4b5563", weight: 3, dashArray: "10 6" },
    water: { color: "#5b9bd5", weight: 4, opacity: 0.9 },
    hill: { color: "#9bb68a", weight: 1, fillColor: "#cfe0c3", fillOpacity: 0.8 }
  };

  function number(input) {
    var v = parseFloat(input.value);
    return isFinite(v) ? v : null;
  }

  function draw(el) {
    if (typeof L === "undefined") return;
    var lat = document.getElementById(el.getAttribute("data-lat"));
    var lon = document.getElementById(el.getAttribute("data-lon"));
    if (!lat || !lon) return;
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25 });
    var marker = null;
    function place(la, lo) {
      if (la === null || lo === null || Math.abs(la) > 90 || Math.abs(lo) > 180) return;
      if (marker) marker.setLatLng([la, lo]);
      else marker = L.circleMarker([la, lo], { radius: 9, weight: 3, color: "#fff", fillColor: "#c8102e", fillOpacity: 1 }).addTo(map);
      el.setAttribute("data-picked", la.toFixed(6) + "," + lo.toFixed(6));
    }
    var la = number(lat), lo = number(lon);
    map.setView(la !== null && lo !== null ? [la, lo] : [30.24, 120.13], 15);
    place(la, lo);
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(6);
      lon.value = e.latlng.lng.toFixed(6);
      place(e.latlng.lat, e.latlng.lng);
    });
    function typed() { place(number(lat), number(lon)); if (marker) map.panTo(marker.getLatLng()); }
    lat.addEventListener("change", typed);
    lon.addEventListener("change", typed);
    var url = el.getAttribute("data-basemap");
    el.classList.add("flood-map-offline");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) L.geoJSON(data, { interactive: false, style: function (f) { return BASE[(f.properties || {}).kind] || BASE.boundary; } }).addTo(map);
        if (marker) marker.bringToFront();
      })
      .catch(function () { /* the plain background still takes clicks */ })
      .then(function () { el.setAttribute("data-picker-ready", "1"); });
  }

  function start() {
    var els = document.querySelectorAll("[data-point-picker]");
    for (var i = 0; i < els.length; i++) draw(els[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
