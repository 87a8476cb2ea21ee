// Live SLA countdowns: every element with data-due (an ISO time) shows the business-hours
// deadline as time left or time overdue, refreshed every 30 seconds.
(function () {
  function format(ms) {
    var minutes = Math.round(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (days) return days + "d " + hours + "h";
    if (hours) return hours + "h " + m + "m";
    return m + "m";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now;
      el.textContent = left >= 0 ? format(left) + " left" : "overdue " + format(left);
      el.classList.toggle("sla-overdue", left < 0);
      el.classList.toggle("sla-soon", left >= 0 && left < 3600000);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
