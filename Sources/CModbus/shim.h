#include <modbus/modbus.h>
#include <modbus/modbus-rtu.h>
