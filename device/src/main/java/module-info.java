/** Block devices and regular files opened, sized and accessed through the FFM API. */
module brmr.device {
    exports brmr.device;
}
